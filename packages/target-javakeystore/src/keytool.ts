import { ConnectorError, DeadlineExceededError, type Exec, type ExecResult } from '@certctl/core';

export const CONNECTOR = 'target-javakeystore';

/** Names of the variables keytool reads passwords from (`-storepass:env NAME`): never on its command line. */
export const STORE_PASSWORD_VAR = 'CERTCTL_KEYSTORE_PASSWORD';
export const SOURCE_PASSWORD_VAR = 'CERTCTL_IMPORT_PASSWORD';

const OUTPUT_IN_ERROR = 1_000;

/** keytool is a short-lived JVM: the client compiler and serial GC halve its start-up (HotSpot; others ignore -XX they do not know). */
const JVM_OPTIONS = ['-J-XX:TieredStopAtLevel=1', '-J-XX:+UseSerialGC'];

export interface KeytoolOptions {
  exec: Exec;
  program: string;
  timeoutMs: number;
  storePassword: string;
}

export interface AliasEntry {
  /** `PrivateKeyEntry`, `trustedCertEntry`, ... */
  entryType: string;
  /** The entry's certificates as PEM, leaf first. */
  chain: string[];
}

/** keytool, with the keystore password passed in its environment and every run bounded by a deadline. */
export function createKeytool(options: KeytoolOptions) {
  const { exec, program, timeoutMs } = options;

  const run = async (
    args: readonly string[],
    what: string,
    extraEnv: Record<string, string> = {},
    signal?: AbortSignal,
  ): Promise<ExecResult> => {
    const result = await exec(program, [...JVM_OPTIONS, ...args], {
      timeoutMs,
      signal,
      env: { [STORE_PASSWORD_VAR]: options.storePassword, ...extraEnv },
      maxOutputBytes: 1024 * 1024,
    });
    if (result.timedOut) {
      throw new DeadlineExceededError({
        connector: CONNECTOR,
        message: `keytool (${what}) did not finish within ${timeoutMs} ms`,
      });
    }
    return result;
  };

  const describe = (result: ExecResult) => {
    const text = `${result.stderr} ${result.stdout}`.replace(/\s+/g, ' ').trim();
    return text.length > OUTPUT_IN_ERROR ? `${text.slice(0, OUTPUT_IN_ERROR)}…` : text;
  };

  const failure = (what: string, result: ExecResult) => {
    const output = describe(result);
    let hint = '';
    if (/password was incorrect|Integrity check failed|keystore was tampered/i.test(output))
      hint = ': keystore_password does not open this keystore';
    else if (/Invalid keystore format|Unrecognized keystore format/i.test(output))
      hint = ': the file is not a keystore of a type keytool knows';
    return new ConnectorError({
      connector: CONNECTOR,
      message: `keytool ${what} exited with ${result.exitCode ?? result.signal}${hint}${output ? ` (${output})` : ''}`,
    });
  };

  return {
    /** Runs keytool; a non-zero exit is a ConnectorError quoting its output (which never holds the password). */
    async expect(args: readonly string[], what: string, extraEnv?: Record<string, string>, signal?: AbortSignal) {
      const result = await run(args, what, extraEnv, signal);
      if (result.exitCode !== 0) throw failure(what, result);
      return result;
    },

    /** The entry under `alias` in `keystore`, or undefined when there is none. */
    async readAlias(keystore: string, alias: string, signal?: AbortSignal): Promise<AliasEntry | undefined> {
      const args = ['-list', '-rfc', '-alias', alias, '-keystore', keystore, '-storepass:env', STORE_PASSWORD_VAR];
      const result = await run(args, `-list -alias ${alias}`, {}, signal);
      if (result.exitCode !== 0) {
        if (/Alias <[^>]*> does not exist/i.test(`${result.stdout}${result.stderr}`)) return undefined;
        throw failure(`-list -alias ${alias}`, result);
      }
      const entryType = /Entry type: (\S+)/.exec(result.stdout)?.[1] ?? 'unknown';
      const chain = result.stdout.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? [];
      return { entryType, chain: chain.map((pem) => `${pem}\n`) };
    },
  };
}

export type Keytool = ReturnType<typeof createKeytool>;
