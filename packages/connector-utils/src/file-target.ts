import { constants as fsConstants } from 'node:fs';
import { access, readFile, stat } from 'node:fs/promises';
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
  /** `signal` aborts calls whose request carries none (agent shutdown). */
  ctx: Pick<ConnectorContext, 'exec' | 'logger'> & Partial<Pick<ConnectorContext, 'clock' | 'signal'>>;
  /** The files one deploy writes, built from the checked material. Keys are `kind: 'private-key'`. */
  files(material: TlsMaterial, request: DeployRequest): DeployFile[];
  /** The file whose first certificate `validateDeployment` reads (the leaf or fullchain file). */
  certificatePath: string;
  /** From `createOperatorCommand` (which holds each command's deadline). */
  validateCommand?: OperatorCommand;
  reloadCommand?: OperatorCommand;
  /** The service's name for the deploy detail, e.g. `Postfix`: `reloaded Postfix`, `Postfix not reloaded`. */
  service?: string;
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
 * `deployFilesWithCommands`, validateDeployment from the certificate file, dryRun (which says when
 * the files already hold the bytes, as deploy would find), and a testConnection that checks the
 * directories are writable and the validate command passes (throwing a ConnectorError that says
 * which does not).
 */
export function createFileTarget(
  options: FileTargetOptions,
): Required<Pick<TargetInstance, 'deploy' | 'validateDeployment' | 'dryRun' | 'testConnection'>> {
  const { connector, ctx, validateCommand, reloadCommand, service } = options;
  const plan = (request: DeployRequest) => options.files(prepareTlsMaterial(request, connector), request);

  return {
    async deploy(request) {
      const signal = request.signal ?? ctx.signal;
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
                signal,
                connector,
              })
          : undefined,
        files,
        exec: ctx.exec,
        check: options.check,
        validateCommand,
        reloadCommand,
        service,
        backups: options.backups,
        signal,
        logger: ctx.logger,
        connector,
        clock: ctx.clock,
      });
      const steps = [...result.steps];
      if (result.changed && verify) steps.push(`${verify.host}:${verify.port} presents it`);
      return { changed: result.changed, detail: `serial ${request.serial}: ${steps.join('; ')}` };
    },

    async validateDeployment(request) {
      return checkDeployedCertificate(options.certificatePath, request);
    },

    async dryRun(request) {
      const files = plan(request);
      if (await holdTheseBytes(files)) {
        return {
          steps: [
            ...files.map((file) => `keep ${file.path} (already these bytes)`),
            'nothing changes: no file is written and no command runs',
          ],
        };
      }
      return { steps: describeCommandDeploy({ files, validateCommand, reloadCommand, verify: options.verify }) };
    },

    async testConnection(testOptions) {
      const paths = options.files(PLACEHOLDER_MATERIAL, PLACEHOLDER_REQUEST).map((f) => f.path);
      const directories = [...new Set(paths.map((p) => dirname(p)))];
      const problems: string[] = [];
      let cause: unknown;
      for (const directory of directories) {
        try {
          if (!(await stat(directory)).isDirectory()) {
            problems.push(`cannot write to ${directory}: ${directory} is not a directory`);
          }
          // Creating a file in a directory takes search (x) as well as write permission.
          else await access(directory, fsConstants.W_OK | fsConstants.X_OK);
        } catch (error) {
          cause ??= error;
          problems.push(
            `cannot write to ${directory} (${(error as NodeJS.ErrnoException).code ?? String(error)}); create it or run the agent as a user that may write there`,
          );
        }
      }
      if (problems.length > 0) {
        throw new ConnectorError({ connector, message: problems.join('; '), cause });
      }
      if (validateCommand) {
        await validateCommand.run(ctx.exec, testOptions?.signal ?? ctx.signal);
      }
      return {
        ok: true,
        detail: `${directories.join(', ')} writable${validateCommand ? `; ${validateCommand.field} "${validateCommand.text}" passed` : ''}`,
      };
    },
  };
}

/** Whether every file already holds its bytes, in which case a deploy writes and runs nothing. */
async function holdTheseBytes(files: readonly DeployFile[]): Promise<boolean> {
  for (const file of files) {
    // Unreadable counts as different: the dry run then lists the writes the deploy would attempt.
    const current = await readFile(file.path).catch(() => undefined);
    if (!current?.equals(Buffer.from(file.content))) return false;
  }
  return true;
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
