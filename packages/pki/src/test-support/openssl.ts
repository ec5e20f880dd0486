/**
 * Test helper: run the `openssl` CLI as an independent implementation that checks what we produce.
 * Each call gets its own temporary directory (cwd of the process) holding the input files it names,
 * and returns the output files it asked for, so tests never share paths and nothing leaks.
 * Not exported from the package index: tests import it by path.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const OPENSSL_BIN = process.env.OPENSSL_BIN ?? '/usr/bin/openssl';

export interface RunOpensslOptions {
  /** Files written into the temp dir before the run, by relative name (PEM text or DER bytes). */
  files?: Record<string, string | Uint8Array>;
  /** Data piped to stdin. */
  stdin?: string | Uint8Array;
  /** Relative names of files openssl writes that the caller wants back. */
  outputs?: string[];
  /** When true (default) a non-zero exit rejects with the stderr in the message. */
  check?: boolean;
  /** Kill openssl after this many ms. Default 20000. */
  timeoutMs?: number;
}

export interface OpensslResult {
  exitCode: number;
  stdout: string;
  stderr: string;
  /** The files named in `outputs`; a file openssl did not write is absent. */
  outputs: Record<string, Buffer>;
}

/** Runs `openssl ...args` in a fresh temp dir. Relative paths in `args` refer to `files`/`outputs`. */
export async function runOpenssl(args: string[], options: RunOpensslOptions = {}): Promise<OpensslResult> {
  const dir = await mkdtemp(join(tmpdir(), 'certctl-openssl-'));
  try {
    for (const [name, content] of Object.entries(options.files ?? {})) {
      await writeFile(join(dir, name), content);
    }
    const { exitCode, stdout, stderr } = await new Promise<{ exitCode: number; stdout: string; stderr: string }>(
      (resolve, reject) => {
        const child = execFile(
          OPENSSL_BIN,
          args,
          { cwd: dir, timeout: options.timeoutMs ?? 20_000, maxBuffer: 64 * 1024 * 1024, encoding: 'utf8' },
          (error, out, err) => {
            if (error && typeof error.code !== 'number') {
              reject(new Error(`openssl ${args.join(' ')} could not run: ${error.message}\n${err}`));
              return;
            }
            resolve({ exitCode: error ? (error.code as number) : 0, stdout: out, stderr: err });
          },
        );
        child.stdin?.on('error', () => {});
        child.stdin?.end(options.stdin ?? '');
      },
    );
    if ((options.check ?? true) && exitCode !== 0) {
      throw new Error(`openssl ${args.join(' ')} exited ${exitCode}:\n${stderr}${stdout}`);
    }
    const outputs: Record<string, Buffer> = {};
    for (const name of options.outputs ?? []) {
      try {
        outputs[name] = await readFile(join(dir, name));
      } catch {
        // absent output: the caller checks for it
      }
    }
    return { exitCode, stdout, stderr, outputs };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export interface OpensslVerifyOptions {
  /** Trust anchors (one or more PEM certificates). */
  caPem: string;
  /** Intermediates (PEM bundle), passed with -untrusted. */
  untrustedPem?: string;
  /** The certificate to verify (PEM). */
  leafPem: string;
  /** Unix seconds for -attime. */
  atTime?: number;
  /** Extra flags, e.g. ['-purpose', 'sslserver']. */
  extraArgs?: string[];
}

/** `openssl verify`; resolves with ok=false and openssl's message instead of throwing on rejection. */
export async function opensslVerify(options: OpensslVerifyOptions): Promise<{ ok: boolean; output: string }> {
  const files: Record<string, string> = { 'ca.pem': options.caPem, 'leaf.pem': options.leafPem };
  const args = ['verify', '-CAfile', 'ca.pem'];
  if (options.untrustedPem) {
    files['untrusted.pem'] = options.untrustedPem;
    args.push('-untrusted', 'untrusted.pem');
  }
  if (options.atTime !== undefined) args.push('-attime', String(Math.floor(options.atTime)));
  args.push(...(options.extraArgs ?? []), 'leaf.pem');
  const result = await runOpenssl(args, { files, check: false });
  return { ok: result.exitCode === 0 && /leaf\.pem: OK/.test(result.stdout), output: result.stdout + result.stderr };
}

/** `openssl <x509|req|crl> -noout -text` of a PEM artifact: the human dump, to assert extensions on. */
export async function opensslText(kind: 'x509' | 'req' | 'crl', pem: string): Promise<string> {
  const result = await runOpenssl([kind, '-in', 'in.pem', '-noout', '-text'], { files: { 'in.pem': pem } });
  return result.stdout;
}
