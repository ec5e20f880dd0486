/**
 * Test helper: a throwaway `openssl ca` directory made by examples/init-ca.sh, and the example
 * scripts installed next to it the way an operator would (0755, in a directory only root can write).
 */
import { execFile } from 'node:child_process';
import { chmod, copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const EXAMPLES = new URL('../../examples/', import.meta.url).pathname;

export interface ThrowawayCa {
  root: string;
  caDir: string;
  caPem: string;
  binDir: string;
  config: {
    sign_script: string;
    revoke_script: string;
    crl_script: string;
    timeout_seconds: number;
    script_env: Record<string, string>;
  };
  /** Installs an extra script (mode 0755) into the bin directory and returns its path. */
  installScript(name: string, body: string): Promise<string>;
  remove(): Promise<void>;
}

export async function createThrowawayCa(): Promise<ThrowawayCa> {
  const root = await mkdtemp(join(tmpdir(), 'issuer-openssl-'));
  const caDir = join(root, 'ca');
  const binDir = join(root, 'bin');
  await mkdir(binDir, { mode: 0o755 });
  await chmod(root, 0o755);
  for (const name of ['sign.sh', 'revoke.sh', 'crl.sh', 'init-ca.sh']) {
    await copyFile(join(EXAMPLES, name), join(binDir, name));
    await chmod(join(binDir, name), 0o755);
  }
  await run(join(binDir, 'init-ca.sh'), [caDir, 'certctl test openssl CA'], { timeout: 20_000 });
  const installScript = async (name: string, body: string) => {
    const path = join(binDir, name);
    await writeFile(path, body, { mode: 0o755 });
    await chmod(path, 0o755);
    return path;
  };
  return {
    root,
    caDir,
    caPem: await readFile(join(caDir, 'ca.pem'), 'utf8'),
    binDir,
    config: {
      sign_script: join(binDir, 'sign.sh'),
      revoke_script: join(binDir, 'revoke.sh'),
      crl_script: join(binDir, 'crl.sh'),
      timeout_seconds: 20,
      script_env: { CERTCTL_OPENSSL_CA_DIR: caDir },
    },
    installScript,
    remove: () => rm(root, { recursive: true, force: true }),
  };
}

/** Runs the openssl CLI in `dir` and returns its exit code and output (never throws on a non-zero exit). */
export async function opensslIn(dir: string, args: string[]): Promise<{ code: number; out: string }> {
  try {
    const { stdout, stderr } = await run('openssl', args, { cwd: dir, timeout: 20_000 });
    return { code: 0, out: stdout + stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, out: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}
