/**
 * Test helper: the openssl CLI as the independent check of what the CA produces. Each call runs in
 * its own temp dir holding the named input files and returns the output files asked for.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface OpensslRun {
  exitCode: number;
  stdout: string;
  stderr: string;
  outputs: Record<string, Buffer>;
}

export async function openssl(
  args: string[],
  options: { files?: Record<string, string | Uint8Array>; outputs?: string[]; check?: boolean } = {},
): Promise<OpensslRun> {
  const dir = await mkdtemp(join(tmpdir(), 'issuer-local-openssl-'));
  try {
    for (const [name, content] of Object.entries(options.files ?? {})) await writeFile(join(dir, name), content);
    const { exitCode, stdout, stderr } = await new Promise<{ exitCode: number; stdout: string; stderr: string }>(
      (resolve, reject) => {
        execFile('openssl', args, { cwd: dir, timeout: 20_000, encoding: 'utf8' }, (error, out, err) => {
          if (error && typeof error.code !== 'number') reject(error);
          else resolve({ exitCode: error ? (error.code as number) : 0, stdout: out, stderr: err });
        });
      },
    );
    if ((options.check ?? true) && exitCode !== 0)
      throw new Error(`openssl ${args.join(' ')} exited ${exitCode}:\n${stderr}${stdout}`);
    const outputs: Record<string, Buffer> = {};
    for (const name of options.outputs ?? []) outputs[name] = await readFile(join(dir, name));
    return { exitCode, stdout, stderr, outputs };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** `openssl verify`: ok plus openssl's own words. */
export async function opensslVerify(options: {
  trusted: string;
  untrusted?: string;
  leaf: string;
  purpose?: string;
}): Promise<{
  ok: boolean;
  output: string;
}> {
  const files: Record<string, string> = { 'trusted.pem': options.trusted, 'leaf.pem': options.leaf };
  const args = ['verify', '-CAfile', 'trusted.pem'];
  if (options.untrusted) {
    files['untrusted.pem'] = options.untrusted;
    args.push('-untrusted', 'untrusted.pem');
  }
  if (options.purpose) args.push('-purpose', options.purpose);
  args.push('leaf.pem');
  const run = await openssl(args, { files, check: false });
  return { ok: run.exitCode === 0 && run.stdout.includes('leaf.pem: OK'), output: run.stdout + run.stderr };
}

/** `openssl x509 -noout -text`. */
export async function opensslCertificateText(pem: string): Promise<string> {
  return (await openssl(['x509', '-in', 'cert.pem', '-noout', '-text'], { files: { 'cert.pem': pem } })).stdout;
}
