/** Test helper: `openssl verify` of a leaf against a trusted root and untrusted intermediates. */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export async function opensslVerify(
  leafPem: string,
  rootPem: string,
  intermediatesPem: string,
): Promise<{ ok: boolean; output: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'issuer-acme-verify-'));
  try {
    await writeFile(join(dir, 'leaf.pem'), leafPem);
    await writeFile(join(dir, 'root.pem'), rootPem);
    await writeFile(join(dir, 'untrusted.pem'), intermediatesPem);
    return await new Promise((resolve) => {
      execFile(
        'openssl',
        ['verify', '-CAfile', 'root.pem', '-untrusted', 'untrusted.pem', '-purpose', 'sslserver', 'leaf.pem'],
        { cwd: dir, timeout: 20_000, encoding: 'utf8' },
        (error, stdout, stderr) => resolve({ ok: !error, output: `${stdout}${stderr}` }),
      );
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
