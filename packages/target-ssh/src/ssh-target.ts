import { posix } from 'node:path';
import { describeLeaf, isSameCertificate, parseOperatorCommand, prepareTlsMaterial } from '@certctl/connector-utils';
import {
  type ConnectorContext,
  ConnectorError,
  DeadlineExceededError,
  DeployFailedError,
  type DeployRequest,
  type TargetInstance,
} from '@certctl/core';
import { knownHostsName } from './host-key.js';
import type { SshTargetConfig } from './ssh-config.js';
import {
  CONNECTOR,
  type CommandOutcome,
  openSshSession,
  type RemoteFileState,
  type SshSession,
} from './ssh-session.js';

interface PlannedFile {
  path: string;
  content: Buffer;
  mode: number;
  role: 'certificate' | 'chain' | 'private key';
}

interface RemoteCommand {
  field: 'validate_command' | 'reload_command';
  text: string;
  argv: string[];
}

const OUTPUT_IN_ERROR = 2_000;

function describeOutcome(outcome: CommandOutcome): string {
  const text = [outcome.stderr.trim(), outcome.stdout.trim()]
    .filter(Boolean)
    .join(' | ')
    .replace(/\s*\n\s*/g, ' / ');
  return text.length > OUTPUT_IN_ERROR ? `${text.slice(0, OUTPUT_IN_ERROR)}…` : text;
}

/**
 * Agentless deploy over SSH: the files go to the host by SFTP (temp file, then an atomic
 * posix-rename), the validate and reload commands run there, and any failure puts the previous files
 * back (bytes, mode, owner) and runs the reload again if it had started.
 */
export function createSshTarget(config: SshTargetConfig, ctx: ConnectorContext): TargetInstance {
  const where = `${config.user}@${knownHostsName(config.host, config.port)}`;
  const commandTimeoutMs = config.command_timeout_seconds * 1000;
  const command = (field: RemoteCommand['field'], text: string | undefined): RemoteCommand | undefined =>
    text === undefined ? undefined : { field, text, argv: parseOperatorCommand(text, { field, connector: CONNECTOR }) };
  const validateCommand = command('validate_command', config.validate_command);
  const reloadCommand = command('reload_command', config.reload_command);
  const certMode = Number.parseInt(config.cert_mode, 8);
  const keyMode = Number.parseInt(config.key_mode, 8);

  const plan = (request: DeployRequest): PlannedFile[] => {
    const material = prepareTlsMaterial(request, CONNECTOR);
    const files: PlannedFile[] = [
      {
        path: config.cert_path,
        content: Buffer.from(config.chain_path ? material.leafPem : material.fullchainPem),
        mode: certMode,
        role: 'certificate',
      },
    ];
    if (config.chain_path) {
      files.push({ path: config.chain_path, content: Buffer.from(material.chainPem), mode: certMode, role: 'chain' });
    }
    files.push({ path: config.key_path, content: Buffer.from(material.keyPem), mode: keyMode, role: 'private key' });
    return files;
  };

  const withSession = async <T>(signal: AbortSignal | undefined, use: (session: SshSession) => Promise<T>) => {
    const session = await openSshSession(config, { signal });
    try {
      return await use(session);
    } finally {
      session.close();
    }
  };

  const runCommand = async (session: SshSession, cmd: RemoteCommand): Promise<void> => {
    const outcome = await session.run(cmd.argv, commandTimeoutMs);
    ctx.logger.debug(
      { field: cmd.field, command: cmd.text, exitCode: outcome.exitCode, host: where },
      'remote command ran',
    );
    if (outcome.timedOut) {
      throw new DeadlineExceededError({
        connector: CONNECTOR,
        message: `${cmd.field} "${cmd.text}" on ${where} did not finish within ${commandTimeoutMs} ms and was stopped`,
      });
    }
    if (outcome.exitCode !== 0) {
      const status =
        outcome.exitCode === null ? `was killed by ${outcome.signal ?? 'a signal'}` : `exited with ${outcome.exitCode}`;
      const output = describeOutcome(outcome);
      throw new ConnectorError({
        connector: CONNECTOR,
        message: `${cmd.field} "${cmd.text}" on ${where} ${status}${output ? `: ${output}` : ' and printed nothing'}`,
      });
    }
  };

  const sameBytes = (files: readonly PlannedFile[], states: readonly RemoteFileState[]) =>
    files.every((file, i) => states[i]?.bytes?.equals(file.content) === true);

  const restore = async (session: SshSession, files: readonly PlannedFile[], before: readonly RemoteFileState[]) => {
    const problems: string[] = [];
    for (let i = files.length - 1; i >= 0; i--) {
      const file = files[i]!;
      const state = before[i]!;
      try {
        if (state.exists && state.bytes) {
          await session.writeAtomic({
            path: file.path,
            content: state.bytes,
            mode: state.mode ?? file.mode,
            uid: state.uid,
            gid: state.gid,
          });
        } else await session.remove(file.path);
      } catch (error) {
        problems.push(`${file.path}: ${(error as Error).message}`);
      }
    }
    return problems;
  };

  return {
    async deploy(request) {
      const signal = request.signal ?? ctx.signal;
      const files = plan(request);
      return withSession(signal, async (session) => {
        const before: RemoteFileState[] = [];
        for (const file of files) before.push(await session.read(file.path));
        if (sameBytes(files, before)) {
          return {
            changed: false,
            detail: `serial ${request.serial}: ${where} already holds these bytes; nothing written, no command run`,
          };
        }
        const steps: string[] = [];
        let reloadStarted = false;
        try {
          for (const [i, file] of files.entries()) {
            const previous = before[i]!;
            await session.writeAtomic({
              path: file.path,
              content: file.content,
              mode: file.mode,
              uid: config.file_uid ?? previous.uid,
              gid: config.file_gid ?? previous.gid,
            });
            steps.push(`wrote ${file.role} ${where}:${file.path} (${file.mode.toString(8).padStart(4, '0')})`);
          }
          if (validateCommand) {
            await runCommand(session, validateCommand);
            steps.push(`${validateCommand.field} "${validateCommand.text}" passed`);
          }
          if (reloadCommand) {
            reloadStarted = true;
            await runCommand(session, reloadCommand);
            steps.push(`ran ${reloadCommand.field} "${reloadCommand.text}"`);
          }
        } catch (error) {
          const problems = await restore(session, files, before);
          let reloadAgain: string | undefined;
          if (reloadStarted && reloadCommand && problems.length === 0) {
            await runCommand(session, reloadCommand).catch((e: Error) => {
              reloadAgain = e.message.replace(/^\[certctl\] \[[^\]]+\] /, '');
            });
          }
          const reason = (error as Error).message.replace(/^\[certctl\] \[[^\]]+\] /, '');
          ctx.logger.warn(
            { host: where, serial: request.serial, restored: problems.length === 0 },
            'ssh deploy rolled back',
          );
          let message: string;
          if (problems.length > 0)
            message = `deploy to ${where} failed (${reason}) and restoring the previous files failed too: ${problems.join('; ')}; check the host by hand`;
          else if (reloadAgain)
            message = `deploy to ${where} failed and the previous files were restored, but reloading them failed too (${reloadAgain}): ${reason}`;
          else
            message = `deploy to ${where} failed and the previous files were restored${reloadStarted ? ' (and reloaded)' : ''}: ${reason}`;
          throw new DeployFailedError({
            connector: CONNECTOR,
            message,
            cause: error,
            retryable: ConnectorError.isInstance(error) ? error.retryable : false,
            // Files back but not reloaded: the service may not be serving the previous deployment.
            rollback: problems.length > 0 || reloadAgain ? 'failed' : 'restored',
          });
        }
        return { changed: true, detail: `serial ${request.serial}: ${steps.join('; ')}` };
      });
    },

    async validateDeployment(request) {
      return withSession(request.signal ?? ctx.signal, async (session) => {
        const state = await session.read(config.cert_path);
        if (!state.exists || !state.bytes) {
          return { valid: false, detail: `${where}:${config.cert_path} does not exist` };
        }
        const deployed = describeLeaf(state.bytes.toString('utf8'));
        if (!deployed) return { valid: false, detail: `${where}:${config.cert_path} holds no certificate` };
        const valid = isSameCertificate(deployed, request);
        return {
          valid,
          observedSerial: deployed.serial,
          detail: valid
            ? `${where}:${config.cert_path} holds serial ${deployed.serial}`
            : `${where}:${config.cert_path} holds serial ${deployed.serial}${isSameCertificate(deployed, { serial: request.serial }) ? ' but a different certificate' : `, not ${request.serial}`}`,
        };
      });
    },

    async dryRun(request) {
      const files = plan(request);
      return withSession(request.signal ?? ctx.signal, async (session) => {
        const before: RemoteFileState[] = [];
        for (const file of files) before.push(await session.read(file.path));
        if (sameBytes(files, before)) {
          return {
            steps: [
              ...files.map((file) => `keep ${where}:${file.path} (already these bytes)`),
              'nothing changes: no file is written and no command runs',
            ],
          };
        }
        const steps = [`connect to ${where} (host key ${session.hostKey})`];
        for (const file of files) {
          steps.push(
            `write ${file.role} to a temp file beside ${where}:${file.path} (mode ${file.mode.toString(8).padStart(4, '0')}), then rename it into place`,
          );
        }
        if (validateCommand) steps.push(`run ${validateCommand.field} "${validateCommand.text}" on ${where}`);
        if (reloadCommand) steps.push(`run ${reloadCommand.field} "${reloadCommand.text}" on ${where}`);
        steps.push('on any failure: put the previous files back and run the reload again if it had started');
        return { steps };
      });
    },

    async testConnection(options) {
      return withSession(options?.signal ?? ctx.signal, async (session) => {
        const directories = [...new Set(remotePaths(config).map((p) => posix.dirname(p)))];
        const problems: string[] = [];
        for (const directory of directories) {
          const problem = await session.probeDirectory(directory);
          if (problem) problems.push(problem);
        }
        if (problems.length > 0) throw new ConnectorError({ connector: CONNECTOR, message: problems.join('; ') });
        if (validateCommand) await runCommand(session, validateCommand);
        return {
          ok: true,
          detail: `connected to ${where} (host key ${session.hostKey}); ${directories.join(', ')} writable${validateCommand ? `; ${validateCommand.field} "${validateCommand.text}" passed` : ''}`,
        };
      });
    },
  };
}

function remotePaths(config: SshTargetConfig): string[] {
  return [config.cert_path, config.chain_path, config.key_path].filter((p): p is string => p !== undefined);
}
