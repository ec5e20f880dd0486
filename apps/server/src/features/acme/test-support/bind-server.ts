import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, run } from './acme-client-harness.js';

export interface BindServer {
  port: number;
  zone: string;
  stop(): Promise<void>;
}

/**
 * A throwaway authoritative BIND 9 (Debian's bind9) for one zone on a loopback port, accepting
 * dynamic updates from 127.0.0.1 so ACME clients can publish DNS-01 TXT records with nsupdate.
 */
export async function startBind(zone: string): Promise<BindServer> {
  const dir = mkdtempSync(join(tmpdir(), 'certctl-bind-'));
  const port = await freePort();
  writeFileSync(
    join(dir, 'zone.db'),
    `$TTL 60\n@ IN SOA ns1.${zone}. hostmaster.${zone}. 1 60 60 600 60\n@ IN NS ns1.${zone}.\nns1 IN A 127.0.0.1\n`,
  );
  writeFileSync(
    join(dir, 'named.conf'),
    `options {
  directory "${dir}";
  pid-file "${dir}/named.pid";
  listen-on port ${port} { 127.0.0.1; };
  listen-on-v6 { none; };
  recursion no;
  dnssec-validation no;
  notify no;
};
controls { };
zone "${zone}" { type primary; file "${dir}/zone.db"; allow-update { 127.0.0.1; }; };
`,
  );
  const child: ChildProcess = spawn('/usr/sbin/named', ['-g', '-c', join(dir, 'named.conf'), '-n', '1'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let log = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    log += chunk.toString();
  });
  const deadline = Date.now() + 20_000;
  for (;;) {
    const probe = await run('dig', ['+short', '+time=1', '+tries=1', '-p', String(port), '@127.0.0.1', 'SOA', zone]);
    if (probe.stdout.includes('hostmaster')) break;
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`named did not start:\n${log.slice(-3000)}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    port,
    zone,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
        if (child.exitCode === null) child.kill('SIGKILL');
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
