/**
 * One proxy agent, three targets that are not files on its host, end to end: a certctl server
 * (embedded database, built-in local CA), a certctl agent with @certctl/target-k8ssecret,
 * @certctl/target-javakeystore and @certctl/target-f5, the testkit's fake Kubernetes API server (read
 * back with Debian's kubectl), the real keytool, and the testkit's fake BIG-IP. One certificate bound
 * to all three is issued and deployed, renewed (the new serial everywhere), and renewed again while
 * BIG-IP refuses the transaction: that target keeps the previous certificate, the others move on.
 */
import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  createTestDeployRequest,
  type FakeBigIp,
  type FakeKubernetes,
  startFakeBigIp,
  startFakeKubernetes,
} from '@certctl/connector-testkit';
import { call } from '@certctl/server/testing';
import f5Target from '@certctl/target-f5';
import javaKeystoreTarget from '@certctl/target-javakeystore';
import k8sSecretTarget from '@certctl/target-k8ssecret';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAgent } from '../src/start-agent.js';
import { agentConfigFor, type ControlPlane, jobsOf, startControlPlane, waitFor } from './support/control-plane.js';

// Asynchronously: the fakes answer from this very process.
const run = promisify(execFile);
const STORE_PASSWORD = 'e2e-keystore-password';

let plane: ControlPlane;
let kube: FakeKubernetes;
let bigip: FakeBigIp;

beforeAll(async () => {
  const initial = await createTestDeployRequest({ commonName: 'initial.example.test' });
  [plane, kube, bigip] = await Promise.all([
    startControlPlane({ installed: true }),
    startFakeKubernetes({ namespaces: ['default', 'shop'] }),
    startFakeBigIp({ profiles: { '/Common/clientssl_shop': { certPem: initial.certPem, keyPem: initial.keyPem } } }),
  ]);
}, 180_000);
afterAll(async () => {
  await plane?.stop();
  await kube?.close();
  await bigip?.close();
});

const serialOf = (pem: string) =>
  new X509Certificate(pem.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/)![0]).serialNumber
    .toLowerCase()
    .replace(/^0+/, '');
const normal = (serial: string) => serial.toLowerCase().replace(/^0+/, '');

describe('end to end: server + proxy agent + Kubernetes, a Java keystore and BIG-IP', () => {
  it('deploys to all three, renews everywhere, and leaves BIG-IP on the previous certificate when it refuses', async () => {
    const dir = mkdtempSync(join(plane.tmp, 'e2e-remote-'));
    const kubeconfig = join(dir, 'kubeconfig');
    writeFileSync(kubeconfig, kube.kubeconfig(), { mode: 0o600 });
    const bigipCa = join(dir, 'bigip-ca.pem');
    writeFileSync(bigipCa, bigip.caPem);
    const keystore = join(dir, 'keystore.p12');

    /** What each target holds now, read by the real clients (kubectl, keytool) and the BIG-IP fake. */
    const kubectlSerial = async () => {
      const { stdout } = await run(
        'kubectl',
        [
          '--kubeconfig',
          kubeconfig,
          '--cache-dir',
          join(dir, 'kube-cache'),
          'get',
          'secret',
          'shop-tls',
          '-n',
          'shop',
          '-o',
          'jsonpath={.data.tls\\.crt}',
        ],
        { env: { PATH: '/usr/bin:/bin', HOME: dir } },
      ).catch(() => ({ stdout: '' }));
      return stdout ? serialOf(Buffer.from(stdout, 'base64').toString()) : undefined;
    };
    const keytoolSerial = async () => {
      const { stdout } = await run(
        'keytool',
        ['-list', '-rfc', '-alias', 'shop', '-keystore', keystore, '-storepass:env', 'PW'],
        { env: { PATH: '/usr/bin:/bin', PW: STORE_PASSWORD } },
      ).catch(() => ({ stdout: '' }));
      return stdout.includes('BEGIN CERTIFICATE') ? serialOf(stdout) : undefined;
    };
    const bigipSerial = () => {
      const name = /certctl_([0-9a-f]+)\.crt$/.exec(
        bigip.profile('/Common/clientssl_shop')?.certKeyChain[0]?.cert ?? '',
      );
      return name ? normal(name[1]!) : undefined;
    };
    const everywhere = async () => ({ k8s: await kubectlSerial(), jks: await keytoolSerial(), f5: bigipSerial() });

    const { agent } = await startAgent(
      agentConfigFor(plane, join(dir, 'agent'), {
        CERTCTL_POLL_INTERVAL_SECONDS: '0.3',
        CERTCTL_HEARTBEAT_INTERVAL_SECONDS: '5',
      }),
      { manifests: [k8sSecretTarget, javaKeystoreTarget, f5Target] },
    );
    const stop = new AbortController();
    const running = agent.run(stop.signal);
    try {
      const { agent_id } = await agent.ensureRegistered(AbortSignal.timeout(10_000));
      const targetIds: string[] = [];
      for (const [type, config] of [
        ['k8ssecret', { namespace: 'shop', secret_name: 'shop-tls', kubeconfig_path: kubeconfig }],
        ['javakeystore', { keystore_path: keystore, keystore_password: STORE_PASSWORD, alias: 'shop' }],
        [
          'f5',
          {
            host: '127.0.0.1',
            port: bigip.port,
            username: bigip.username,
            password: bigip.password,
            ssl_profile: 'clientssl_shop',
            ca_cert_path: bigipCa,
          },
        ],
      ] as const) {
        const target = await call(plane.server.api, 'POST', '/api/v1/targets', {
          name: `${type}-${Math.random().toString(36).slice(2, 8)}`,
          type,
          agent_id,
          config,
        });
        expect(target.status, target.body).toBe(201);
        targetIds.push(String(target.json.id));
      }
      const created = await call(plane.server.api, 'POST', '/api/v1/certificates', {
        name: 'shop',
        common_name: 'shop.example.com',
        sans: ['shop.example.com'],
        owner_id: plane.basics.ownerId,
        team_id: plane.basics.teamId,
        issuer_id: plane.basics.issuerId,
        renewal_policy_id: plane.basics.policyId,
        agent_id,
        target_ids: targetIds,
      });
      expect(created.status, created.body).toBe(201);
      const id = String(created.json.id);
      const latestSerial = async () =>
        normal(
          String(
            ((await call(plane.server.api, 'GET', `/api/v1/certificates/${id}/versions`)).json.data ?? [])[0]?.serial ??
              '',
          ),
        );
      const succeededDeployments = async () =>
        (await jobsOf(plane, id)).filter((j) => j.type === 'deployment' && j.status === 'succeeded').length;
      const allHold = async (serial: string) => {
        const held = await everywhere();
        return held.k8s === serial && held.jks === serial && held.f5 === serial ? held : undefined;
      };

      const first = await waitFor(
        'the first certificate on all three targets',
        async () => {
          const serial = await latestSerial();
          return serial && (await allHold(serial)) ? serial : undefined;
        },
        90_000,
      );
      await waitFor('three deployments reported', async () => (await succeededDeployments()) >= 3, 30_000);

      expect((await call(plane.server.api, 'POST', `/api/v1/certificates/${id}/renew`)).status).toBe(202);
      const second = await waitFor(
        'the renewal on all three targets',
        async () => {
          const serial = await latestSerial();
          return serial && serial !== first && (await allHold(serial)) ? serial : undefined;
        },
        90_000,
      );
      await waitFor('six deployments reported', async () => (await succeededDeployments()) >= 6, 30_000);

      // BIG-IP refuses every commit from now on (retries too): its profile must keep `second`.
      for (let i = 0; i < 20; i++) bigip.failNextCommit('01070734:3: Configuration error: refused for the test');
      expect((await call(plane.server.api, 'POST', `/api/v1/certificates/${id}/renew`)).status).toBe(202);
      const third = await waitFor(
        'the next renewal on Kubernetes and the keystore',
        async () => {
          const serial = await latestSerial();
          const held = await everywhere();
          return serial && serial !== second && held.k8s === serial && held.jks === serial ? serial : undefined;
        },
        90_000,
      );
      const refused = await waitFor(
        'the BIG-IP deployment failing',
        async () =>
          (await jobsOf(plane, id)).find(
            (j) => j.type === 'deployment' && j.last_error?.includes('BIG-IP refused the transaction'),
          ),
        60_000,
      );
      expect(refused.last_error).toContain('nothing changed');
      expect(bigipSerial()).toBe(second);
      expect(third).not.toBe(second);
    } finally {
      stop.abort();
      await running;
      await agent.close();
    }
  }, 300_000);
});
