import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { posix } from 'node:path';
import { AuthenticationError, ConnectorError, DeadlineExceededError } from '@certctl/core';
import type { Client, ConnectConfig, SFTPWrapper, Stats } from 'ssh2';
import { checkKnownHosts, hostKeyFingerprint, knownHostsName, normalizeFingerprint } from './host-key.js';
import type { SshTargetConfig } from './ssh-config.js';

export const CONNECTOR = 'target-ssh';

/** What one remote file looked like before a deploy. */
export interface RemoteFileState {
  exists: boolean;
  bytes?: Buffer;
  mode?: number;
  uid?: number;
  gid?: number;
}

export interface RemoteWrite {
  path: string;
  content: Buffer;
  mode: number;
  uid?: number;
  gid?: number;
}

export interface CommandOutcome {
  exitCode: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

/** One SSH connection with SFTP, every operation bounded by a deadline and the caller's signal. */
export interface SshSession {
  /** SHA-256 fingerprint of the host key that was accepted. */
  readonly hostKey: string;
  read(path: string): Promise<RemoteFileState>;
  /** Writes a temp file beside `path` (mode, owner), then renames it over `path` (posix-rename@openssh.com). */
  writeAtomic(file: RemoteWrite): Promise<void>;
  remove(path: string): Promise<void>;
  /** Whether `directory` exists and a file can be created in it (creates and removes a probe file). */
  probeDirectory(directory: string): Promise<string | undefined>;
  /** Runs argv on the host (each word quoted for the remote shell). */
  run(argv: readonly string[], timeoutMs: number): Promise<CommandOutcome>;
  close(): void;
}

const NO_SUCH_FILE = 2;
const TEMP_MARKER = '.certctl-tmp-';
const OUTPUT_LIMIT = 64 * 1024;

/** Quotes a word for the POSIX shell sshd starts the command in: everything literal. */
export function shellQuote(word: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

function sftpCode(error: unknown): number | undefined {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'number' ? code : undefined;
}

function describeSftpError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

interface Deadline {
  timeoutMs: number;
  signal?: AbortSignal;
}

/**
 * Connects with the configured auth and a pinned host key: an unknown or changed key is refused
 * before any credential is sent. ssh2 is loaded here, on first use.
 */
export async function openSshSession(config: SshTargetConfig, options: { signal?: AbortSignal }): Promise<SshSession> {
  const { Client } = await import('ssh2');
  const timeoutMs = config.timeout * 1000;
  const where = `${config.user}@${knownHostsName(config.host, config.port)}`;
  const knownHosts = config.known_hosts_path
    ? await readFile(config.known_hosts_path, 'utf8').catch((error: NodeJS.ErrnoException) => {
        throw new ConnectorError({
          connector: CONNECTOR,
          message: `cannot read known_hosts_path ${config.known_hosts_path} (${error.code ?? error.message}); create it with ssh-keyscan and check the fingerprint`,
          cause: error,
        });
      })
    : undefined;
  const pinned = config.host_key_fingerprint ? normalizeFingerprint(config.host_key_fingerprint) : undefined;

  let hostKeyProblem: string | undefined;
  let acceptedKey = '';
  const hostVerifier = (blob: Buffer): boolean => {
    const fingerprint = hostKeyFingerprint(blob);
    if (pinned !== undefined) {
      if (fingerprint === pinned) acceptedKey = fingerprint;
      else
        hostKeyProblem = `host key of ${where} is ${fingerprint}, not the pinned host_key_fingerprint ${pinned}: the key changed or something is in between; connection refused`;
    } else {
      const verdict = checkKnownHosts(knownHosts ?? '', config.host, config.port, blob);
      if (verdict.kind === 'match') acceptedKey = fingerprint;
      else if (verdict.kind === 'unknown')
        hostKeyProblem = `host key ${fingerprint} of ${where} is not in ${config.known_hosts_path}: add the host's key (check its fingerprint on the host first); connection refused`;
      else if (verdict.kind === 'revoked')
        hostKeyProblem = `host key ${fingerprint} of ${where} is marked @revoked in ${config.known_hosts_path} (line ${verdict.line}); connection refused`;
      else
        hostKeyProblem = `host key of ${where} changed: it presented ${fingerprint}, ${config.known_hosts_path} line ${verdict.line} lists another key; the key changed or something is in between; connection refused`;
    }
    return hostKeyProblem === undefined;
  };

  const connectConfig: ConnectConfig = {
    host: config.host,
    port: config.port,
    username: config.user,
    readyTimeout: timeoutMs,
    hostVerifier,
    keepaliveInterval: 0,
  };
  if (config.auth_method === 'key') {
    connectConfig.privateKey = config.private_key_path
      ? await readFile(config.private_key_path).catch((error: NodeJS.ErrnoException) => {
          throw new ConnectorError({
            connector: CONNECTOR,
            message: `cannot read private_key_path ${config.private_key_path} (${error.code ?? error.message})`,
            cause: error,
          });
        })
      : config.private_key;
    if (config.passphrase) connectConfig.passphrase = config.passphrase;
  } else if (config.auth_method === 'password') {
    connectConfig.password = config.password;
    connectConfig.tryKeyboard = false;
  } else {
    connectConfig.agent = config.agent_socket;
  }

  const client: Client = new Client();
  const signal = options.signal;
  signal?.throwIfAborted();
  await new Promise<void>((resolve, reject) => {
    const onAbort = () => {
      client.end();
      reject(signal?.reason ?? new Error('aborted'));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    client.once('ready', () => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    });
    client.once('error', (error: Error & { level?: string }) => {
      signal?.removeEventListener('abort', onAbort);
      if (hostKeyProblem) {
        reject(new ConnectorError({ connector: CONNECTOR, message: hostKeyProblem, retryable: false }));
      } else if (error.level === 'client-authentication') {
        reject(
          new AuthenticationError({
            connector: CONNECTOR,
            message: `${where} refused ${config.auth_method} authentication: check the user and that its ${config.auth_method === 'key' ? 'public key is in authorized_keys' : config.auth_method === 'agent' ? 'agent holds a key listed in authorized_keys' : 'password'}`,
            cause: error,
          }),
        );
      } else if (error.level === 'client-timeout') {
        reject(
          new DeadlineExceededError({
            connector: CONNECTOR,
            message: `${where} did not complete the SSH handshake within ${config.timeout} s`,
            cause: error,
          }),
        );
      } else {
        reject(
          new ConnectorError({
            connector: CONNECTOR,
            message: `cannot connect to ${where}: ${error.message}`,
            cause: error,
          }),
        );
      }
    });
    try {
      client.connect(connectConfig);
    } catch (error) {
      // ssh2 throws synchronously on a key it cannot parse (or a wrong passphrase).
      reject(
        new ConnectorError({
          connector: CONNECTOR,
          message: `cannot use the configured private key: ${(error as Error).message.replace(/\n[\s\S]*/, '')}`,
          retryable: false,
        }),
      );
    }
  });
  const sftp = await new Promise<SFTPWrapper>((resolve, reject) =>
    client.sftp((error, wrapper) =>
      error
        ? reject(
            new ConnectorError({
              connector: CONNECTOR,
              message: `${where} refused the SFTP subsystem: ${error.message}`,
              cause: error,
            }),
          )
        : resolve(wrapper),
    ),
  );
  return createSession(client, sftp, { timeoutMs, signal }, where, acceptedKey);
}

function createSession(
  client: Client,
  sftp: SFTPWrapper,
  deadline: Deadline,
  where: string,
  hostKey: string,
): SshSession {
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    client.end();
  };
  /** One SFTP call: a deadline closes the connection (the only way to stop a stuck SFTP request). */
  const op = <T>(what: string, call: (done: (error: unknown, value?: T) => void) => void): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      if (deadline.signal?.aborted) {
        reject(deadline.signal.reason);
        return;
      }
      const timer = setTimeout(() => {
        close();
        reject(
          new DeadlineExceededError({
            connector: CONNECTOR,
            message: `${what} on ${where} did not finish within ${deadline.timeoutMs} ms`,
          }),
        );
      }, deadline.timeoutMs);
      const onAbort = () => {
        clearTimeout(timer);
        close();
        reject(deadline.signal?.reason);
      };
      deadline.signal?.addEventListener('abort', onAbort, { once: true });
      call((error, value) => {
        clearTimeout(timer);
        deadline.signal?.removeEventListener('abort', onAbort);
        if (error) reject(error);
        else resolve(value as T);
      });
    });

  const fail = (what: string, error: unknown): never => {
    if (ConnectorError.isInstance(error)) throw error;
    throw new ConnectorError({
      connector: CONNECTOR,
      message: `${what} on ${where}: ${describeSftpError(error)}`,
      cause: error,
    });
  };

  const lstat = (path: string) =>
    op<Stats | undefined>(`lstat ${path}`, (done) =>
      sftp.lstat(path, (error, stats) => (sftpCode(error) === NO_SUCH_FILE ? done(undefined) : done(error, stats))),
    );

  /** Follows a symlink at `path` so the file it names is replaced, not the link. */
  const resolveTarget = async (path: string): Promise<string> => {
    const stats = await lstat(path);
    if (!stats?.isSymbolicLink()) return path;
    return op<string>(`realpath ${path}`, (done) => sftp.realpath(path, done));
  };

  const session: SshSession = {
    hostKey,
    async read(path) {
      try {
        const target = await resolveTarget(path);
        const stats = await lstat(target);
        if (!stats) return { exists: false };
        if (!stats.isFile()) fail(`reading ${path}`, new Error('not a regular file'));
        const bytes = await op<Buffer>(`read ${path}`, (done) => sftp.readFile(target, done));
        return { exists: true, bytes, mode: stats.mode & 0o7777, uid: stats.uid, gid: stats.gid };
      } catch (error) {
        return fail(`reading ${path}`, error);
      }
    },

    async writeAtomic(file) {
      const target = await resolveTarget(file.path).catch((error) => fail(`resolving ${file.path}`, error));
      const temp = posix.join(
        posix.dirname(target),
        `.${posix.basename(target)}${TEMP_MARKER}${randomBytes(6).toString('hex')}`,
      );
      try {
        const handle = await op<Buffer>(`create ${temp}`, (done) => sftp.open(temp, 'wx', { mode: file.mode }, done));
        try {
          let offset = 0;
          while (offset < file.content.length) {
            const length = Math.min(32 * 1024, file.content.length - offset);
            await op<void>(`write ${temp}`, (done) =>
              sftp.write(handle, file.content, offset, length, offset, (error) => done(error)),
            );
            offset += length;
          }
          // The server's umask may have narrowed the mode given at open.
          await op<void>(`chmod ${temp}`, (done) => sftp.fchmod(handle, file.mode, (error) => done(error)));
          if (file.uid !== undefined || file.gid !== undefined) {
            const stats = await op<Stats>(`stat ${temp}`, (done) => sftp.fstat(handle, done));
            const uid = file.uid ?? stats.uid;
            const gid = file.gid ?? stats.gid;
            if (uid !== stats.uid || gid !== stats.gid) {
              await op<void>(`chown ${temp} to ${uid}:${gid}`, (done) =>
                sftp.fchown(handle, uid, gid, (error) => done(error)),
              );
            }
          }
          await op<void>(`fsync ${temp}`, (done) => sftp.ext_openssh_fsync(handle, (error) => done(error))).catch(
            () => undefined,
          );
        } finally {
          await op<void>(`close ${temp}`, (done) => sftp.close(handle, (error) => done(error))).catch(() => undefined);
        }
        await op<void>(`rename ${temp} to ${target}`, (done) => {
          try {
            sftp.ext_openssh_rename(temp, target, (error) => done(error));
          } catch (error) {
            // ssh2 throws when the server does not offer posix-rename@openssh.com.
            done(
              new Error(
                `the SFTP server does not offer posix-rename@openssh.com, so the file cannot be replaced atomically (${(error as Error).message})`,
              ),
            );
          }
        });
      } catch (error) {
        if (!closed)
          await op<void>(`remove ${temp}`, (done) => sftp.unlink(temp, (e) => done(e))).catch(() => undefined);
        fail(`writing ${file.path}`, error);
      }
    },

    async remove(path) {
      try {
        const target = await resolveTarget(path);
        await op<void>(`remove ${path}`, (done) =>
          sftp.unlink(target, (error) => done(sftpCode(error) === NO_SUCH_FILE ? undefined : error)),
        );
      } catch (error) {
        fail(`removing ${path}`, error);
      }
    },

    async probeDirectory(directory) {
      const probe = posix.join(directory, `${TEMP_MARKER}probe-${randomBytes(6).toString('hex')}`);
      try {
        const handle = await op<Buffer>(`create ${probe}`, (done) => sftp.open(probe, 'wx', { mode: 0o600 }, done));
        await op<void>(`close ${probe}`, (done) => sftp.close(handle, (error) => done(error)));
        await op<void>(`remove ${probe}`, (done) => sftp.unlink(probe, (error) => done(error)));
        return undefined;
      } catch (error) {
        if (ConnectorError.isInstance(error)) throw error;
        return `cannot create a file in ${directory} on ${where} (${describeSftpError(error)}); create the directory or let ${where.split('@')[0]} write there`;
      }
    },

    run(argv, timeoutMs) {
      const command = argv.map(shellQuote).join(' ');
      return new Promise<CommandOutcome>((resolve, reject) => {
        client.exec(command, (error, stream) => {
          if (error) {
            reject(
              new ConnectorError({
                connector: CONNECTOR,
                message: `${where} refused to run a command: ${error.message}`,
                cause: error,
              }),
            );
            return;
          }
          let stdout = '';
          let stderr = '';
          let timedOut = false;
          const append = (current: string, chunk: Buffer) =>
            current.length >= OUTPUT_LIMIT ? current : current + chunk.toString('utf8').slice(0, OUTPUT_LIMIT);
          const stop = () => {
            try {
              stream.signal('KILL');
            } catch {
              // Older servers ignore signal requests; closing the channel is what remains.
            }
            stream.close();
          };
          const timer = setTimeout(() => {
            timedOut = true;
            stop();
          }, timeoutMs);
          const onAbort = () => stop();
          deadline.signal?.addEventListener('abort', onAbort, { once: true });
          stream.on('data', (chunk: Buffer) => {
            stdout = append(stdout, chunk);
          });
          stream.stderr.on('data', (chunk: Buffer) => {
            stderr = append(stderr, chunk);
          });
          stream.on('close', (code: number | null | undefined, signalName?: string) => {
            clearTimeout(timer);
            deadline.signal?.removeEventListener('abort', onAbort);
            if (deadline.signal?.aborted) {
              reject(deadline.signal.reason);
              return;
            }
            resolve({
              exitCode: typeof code === 'number' ? code : null,
              signal: signalName ?? null,
              stdout,
              stderr,
              timedOut,
            });
          });
        });
      });
    },

    close,
  };
  return session;
}
