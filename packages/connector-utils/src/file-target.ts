import { constants as fsConstants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { type ConnectorContext, ConnectorError, type DeployRequest, type TargetInstance } from '@certctl/core';
import type { DeployFile } from './atomic-deploy.js';
import { deployFilesWithCommands, describeCommandDeploy, runDeployCommand } from './command-deploy.js';
import { checkDeployedCertificate } from './deployed-certificate.js';
import { buildFullchain, privateKeyPemFor, splitCertificates } from './pem-bundle.js';

/** A deploy request's PEMs after checking: one leaf, its chain in order, and the key that belongs to it. */
export interface TlsMaterial {
  /** The leaf certificate alone. */
  leafPem: string;
  /** The issuers of the leaf in order (closest first), without the leaf; '' when there are none. */
  chainPem: string;
  /** Leaf followed by its chain: what nginx's `ssl_certificate` and most servers load. */
  fullchainPem: string;
  /** The private key as one canonical PEM block. */
  keyPem: string;
}

/** Checks and normalises a deploy request's PEMs; MalformedInputError when the chain or key do not belong to the leaf. */
export function prepareTlsMaterial(request: Pick<DeployRequest, 'certPem' | 'chainPem' | 'keyPem'>): TlsMaterial {
  const fullchainPem = buildFullchain(request.certPem, request.chainPem);
  const [leafPem = '', ...chain] = splitCertificates(fullchainPem);
  return { leafPem, chainPem: chain.join(''), fullchainPem, keyPem: privateKeyPemFor(leafPem, request.keyPem) };
}

export interface FileTargetOptions {
  /** Connector id for messages, e.g. `target-nginx`. */
  connector: string;
  ctx: Pick<ConnectorContext, 'exec' | 'logger'>;
  /** The files one deploy writes, built from the checked material. Keys are `kind: 'private-key'`. */
  files(material: TlsMaterial, request: DeployRequest): DeployFile[];
  /** The file whose first certificate `validateDeployment` reads (the leaf or fullchain file). */
  certificatePath: string;
  /** argv from `parseOperatorCommand`. */
  validateCommand?: readonly string[];
  reloadCommand?: readonly string[];
  /** In-process checks of the written files before the validate command. */
  check?: () => Promise<void>;
  commandTimeoutMs?: number;
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
  const plan = (request: DeployRequest) => options.files(prepareTlsMaterial(request), request);

  return {
    async deploy(request) {
      const files = plan(request);
      const result = await deployFilesWithCommands({
        files,
        exec: ctx.exec,
        check: options.check,
        validateCommand,
        reloadCommand,
        commandTimeoutMs: options.commandTimeoutMs,
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
        await runDeployCommand(ctx.exec, validateCommand, {
          phase: 'validate',
          connector,
          signal: testOptions?.signal,
          timeoutMs: options.commandTimeoutMs,
        });
      }
      return {
        ok: true,
        detail: `${[...new Set(paths.map((p) => dirname(p)))].join(', ')} writable${validateCommand ? `; "${validateCommand.join(' ')}" passes` : ''}`,
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
