/**
 * A proxy agent end to end, with real parts: a certctl server (embedded database, built-in local CA),
 * a certctl agent with @certctl/target-ssh, and a real OpenSSH server on a loopback port (tooling's
 * startSshd: throwaway host key and user). The agent makes the key, the server signs the CSR, the
 * agent deploys over SFTP to the "remote" host; a forced renewal deploys a new serial; a renewal
 * whose reload fails on the host is rolled back there and the previous certificate stays.
 */
import { X509Certificate } from 'node:crypto';
import { chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { call } from '@certctl/server/testing';
import sshTarget from '@certctl/target-ssh';
import { type RunningSshd, startSshd } from '@certctl/tooling/services';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAgent } from '../src/start-agent.js';
import {
  agentConfigFor,
  type ControlPlane,
  certificateOnTarget,
  jobsOf,
  startControlPlane,
  waitFor,
} from './support/control-plane.js';

let plane: ControlPlane;
let sshd: RunningSshd;

beforeAll(async () => {
  sshd = await startSshd();
  plane = await startControlPlane({ installed: true });
}, 180_000);
afterAll(async () => {
  await plane?.stop();
  await sshd?.stop();
});

/** The serial of the certificate in a file on the "remote" host (the same machine, the test user's home). */
function serialOnHost(path: string): string | undefined {
  if (!existsSync(path)) return undefined;
  const pem = readFileSync(path, 'utf8').match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/)?.[0];
  return pem ? new X509Certificate(pem).serialNumber.toLowerCase().replace(/^0+/, '') : undefined;
}
const normal = (serial: string) => serial.toLowerCase().replace(/^0+/, '');

describe('end to end: server + proxy agent + a remote host over SSH', () => {
  it('deploys the issued certificate over SSH, deploys a renewal, and rolls back a renewal whose reload fails', async () => {
    const { home, uid, gid } = sshd;
    const certDir = join(home, 'certs');
    mkdirSync(certDir);
    chownSync(certDir, uid, gid);
    const reloadLog = join(home, 'reloads.log');
    const failFlag = join(home, 'fail-reload');
    const reloadScript = join(home, 'reload.sh');
    writeFileSync(
      reloadScript,
      `#!/bin/sh\necho reload >> "${reloadLog}"\nif [ -e "${failFlag}" ]; then echo "reload refused: bad certificate" >&2; exit 1; fi\n`,
      { mode: 0o755 },
    );
    chownSync(reloadScript, uid, gid);
    const reloads = () =>
      existsSync(reloadLog) ? readFileSync(reloadLog, 'utf8').split('\n').filter(Boolean).length : 0;
    const certPath = join(certDir, 'site.pem');
    const keyPath = join(certDir, 'site.key');

    const dir = mkdtempSync(join(plane.tmp, 'e2e-ssh-'));
    const { agent } = await startAgent(
      agentConfigFor(plane, join(dir, 'agent'), {
        CERTCTL_POLL_INTERVAL_SECONDS: '0.3',
        CERTCTL_HEARTBEAT_INTERVAL_SECONDS: '5',
      }),
      { manifests: [sshTarget] },
    );
    const stop = new AbortController();
    const running = agent.run(stop.signal);
    try {
      const { agent_id } = await agent.ensureRegistered(AbortSignal.timeout(10_000));
      // The password travels as a target secret: encrypted on the server, decrypted for this agent only.
      const { certificateId, targetId } = await certificateOnTarget(plane, agent_id, 'ssh', {
        host: sshd.host,
        port: sshd.port,
        user: sshd.user,
        auth_method: 'password',
        password: sshd.password,
        host_key_fingerprint: sshd.hostKeyFingerprint,
        cert_path: certPath,
        key_path: keyPath,
        reload_command: reloadScript,
        timeout: 15,
      });
      const stored = await call(plane.server.api, 'GET', `/api/v1/targets/${targetId}`);
      expect(JSON.stringify(stored.json)).not.toContain(sshd.password);

      const latestSerial = async () =>
        String(
          ((await call(plane.server.api, 'GET', `/api/v1/certificates/${certificateId}/versions`)).json.data ?? [])[0]
            ?.serial ?? '',
        );
      const deployedSerial = (serial: string) => serial !== '' && serialOnHost(certPath) === normal(serial);

      // Issued on a key the agent made, deployed over SFTP, reloaded on the host.
      const first = await waitFor(
        'the host holding the issued certificate',
        async () => {
          const serial = await latestSerial();
          return deployedSerial(serial) ? serial : undefined;
        },
        60_000,
      );
      await waitFor('deployment reported', async () =>
        (await jobsOf(plane, certificateId)).find((j) => j.type === 'deployment' && j.status === 'succeeded'),
      );
      expect(readFileSync(keyPath, 'utf8')).toMatch(/^-----BEGIN PRIVATE KEY-----/);
      expect(reloads()).toBeGreaterThanOrEqual(1);

      // A forced renewal: the new serial reaches the host.
      expect((await call(plane.server.api, 'POST', `/api/v1/certificates/${certificateId}/renew`)).status).toBe(202);
      const second = await waitFor(
        'the host holding the renewed certificate',
        async () => {
          const serial = await latestSerial();
          return serial !== first && deployedSerial(serial) ? serial : undefined;
        },
        60_000,
      );

      // The files are on the host before its reload runs: wait for the job, not only the file.
      await waitFor('the renewal deployment reported', async () => {
        const done = (await jobsOf(plane, certificateId)).filter(
          (j) => j.type === 'deployment' && j.status === 'succeeded',
        );
        return done.length >= 2 ? done : undefined;
      });

      // A renewal whose reload fails on the host: the previous files come back, the job fails.
      writeFileSync(failFlag, '');
      const keyBefore = readFileSync(keyPath);
      expect((await call(plane.server.api, 'POST', `/api/v1/certificates/${certificateId}/renew`)).status).toBe(202);
      const failed = await waitFor(
        'a deployment that failed on the reload',
        async () =>
          (await jobsOf(plane, certificateId)).find(
            (j) => j.type === 'deployment' && j.last_error?.includes('reload refused: bad certificate'),
          ),
        60_000,
      );
      expect(failed.last_error).toContain('previous files were restored');
      expect(serialOnHost(certPath)).toBe(normal(second));
      expect(readFileSync(keyPath).equals(keyBefore)).toBe(true);
      rmSync(failFlag, { force: true });
    } finally {
      stop.abort();
      await running;
      await agent.close();
    }
  }, 240_000);
});
