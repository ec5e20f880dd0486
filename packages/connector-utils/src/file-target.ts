import { constants as fsConstants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { type ConnectorContext, ConnectorError, type DeployRequest, type TargetInstance } from '@certctl/core';
import type { DeployFile } from './atomic-deploy.js';
import { deployFilesWithCommands, describeCommandDeploy } from './command-deploy.js';
import { checkDeployedCertificate, describeLeaf } from './deployed-certificate.js';
import type { OperatorCommand } from './operator-command-step.js';
import { sleepWithSignal } from './system-clock.js';
import { prepareTlsMaterial, type TlsMaterial } from './tls-material.js';
import { type ProbeTlsOptions, verifyServedCertificate } from './tls-probe.js';

export interface FileTargetOptions {
  /** Connector id for messages, e.g. `target-nginx`. */
  connector: string;
  ctx: Pick<ConnectorContext, 'exec' | 'logger'> & Partial<Pick<ConnectorContext, 'clock'>>;
  /** The files one deploy writes, built from the checked material. Keys are `kind: 'private-key'`. */
  files(material: TlsMaterial, request: DeployRequest): DeployFile[];
  /** The file whose first certificate `validateDeployment` reads (the leaf or fullchain file). */
  certificatePath: string;
  /** From `createOperatorCommand` (which holds each command's deadline). */
  validateCommand?: OperatorCommand;
  reloadCommand?: OperatorCommand;
  /**
   * After the reload, connect to this TLS endpoint until it presents the deployed certificate (by
   * SHA-256); if it does not within `withinMs`, the previous files are restored and reloaded.
   */
  verify?: Pick<ProbeTlsOptions, 'host' | 'port' | 'servername' | 'starttls'> & { withinMs: number };
  /** In-process checks of the written files before the validate command. */
  check?: () => Promise<void>;
  /** Backups kept per file (see `deployFiles`); default 3. */
  backups?: number;
}

/**
 * A complete target for a service that reads certificates from files: deploy through
 * `deployFilesWithCommands`, validateDeployment from the certificate file, dryRun, and a
 * testConnection that checks the directories are writable and the validate command passes (throwing
 * a ConnectorError that says which does not).
 */
export function createFileTarget(
  options: FileTargetOptions,
): Required<Pick<TargetInstance, 'deploy' | 'validateDeployment' | 'dryRun' | 'testConnection'>> {
  const { connector, ctx, validateCommand, reloadCommand } = options;
  const plan = (request: DeployRequest) => options.files(prepareTlsMaterial(request, connector), request);

  return {
    async deploy(request) {
      const material = prepareTlsMaterial(request, connector);
      const files = options.files(material, request);
      const verify = options.verify;
      const result = await deployFilesWithCommands({
        verify: verify
          ? () =>
              verifyServedCertificate({
                ...verify,
                // The fingerprint of what is written, not what the request claims.
                fingerprintSha256: describeLeaf(material.leafPem)!.fingerprintSha256,
                clock: ctx.clock ?? { sleep: sleepWithSignal },
                signal: request.signal,
                connector,
              })
          : undefined,
        files,
        exec: ctx.exec,
        check: options.check,
        validateCommand,
        reloadCommand,
        backups: options.backups,
        signal: request.signal,
        logger: ctx.logger,
        connector,
      });
      return { changed: result.changed, detail: `serial ${request.serial}: ${result.steps.join('; ')}` };
    },

    async validateDeployment(request) {
      return checkDeployedCertificate(options.certificatePath, request);
    },

    async dryRun(request) {
      return { steps: describeCommandDeploy({ files: plan(request), validateCommand, reloadCommand }) };
    },

    async testConnection(testOptions) {
      const paths = options.files(PLACEHOLDER_MATERIAL, PLACEHOLDER_REQUEST).map((f) => f.path);
      const problems: string[] = [];
      for (const directory of new Set(paths.map((p) => dirname(p)))) {
        try {
          if (!(await stat(directory)).isDirectory()) problems.push(`${directory} is not a directory`);
          else await access(directory, fsConstants.W_OK);
        } catch (error) {
          problems.push(`${directory}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
        }
      }
      if (problems.length > 0) {
        throw new ConnectorError({ connector, message: `cannot write certificates: ${problems.join('; ')}` });
      }
      if (validateCommand) {
        await validateCommand.run(ctx.exec, testOptions?.signal);
      }
      return {
        ok: true,
        detail: `${[...new Set(paths.map((p) => dirname(p)))].join(', ')} writable${validateCommand ? `; "${validateCommand.text}" passes` : ''}`,
      };
    },
  };
}

/** Lets `testConnection` learn the file paths from `files()` without a certificate. */
const PLACEHOLDER_MATERIAL: TlsMaterial = { leafPem: '', chainPem: '', fullchainPem: '', keyPem: '' };
const PLACEHOLDER_REQUEST: DeployRequest = {
  certPem: '',
  chainPem: '',
  keyPem: '',
  serial: '00',
  fingerprintSha256: '',
  metadata: {},
};
