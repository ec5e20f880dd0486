/**
 * An in-process ACME load generator: `clients` acme-client clients, each with its own account,
 * taking orders from one shared counter until `orders` are done. Each order is a whole RFC 8555
 * issuance: new-order, authorizations (a pending HTTP-01 challenge is answered, for a CA that
 * validates everything, such as pebble with PEBBLE_VA_ALWAYS_VALID), finalize, poll, download.
 * Keys and CSRs are made before the clock starts, so the run measures the CA, not the client's
 * key generation; unlike lego there is no process start per order.
 */
import { Agent } from 'node:https';
import acme from 'acme-client';

export interface AcmeLoadOptions {
  directoryUrl: string;
  caPem: string;
  clients: number;
  orders: number;
  /** Names are `<prefix><n>.bench.test`. */
  namePrefix: string;
}

export interface AcmeLoadResult {
  ordersPerSecond: number;
  /** Seconds per order, p50 and p99. */
  p50Ms: number;
  p99Ms: number;
}

export async function runAcmeLoad(options: AcmeLoadOptions): Promise<AcmeLoadResult> {
  acme.axios.defaults.httpsAgent = new Agent({ ca: options.caPem, keepAlive: true, maxSockets: options.clients * 2 });
  const csrKey = await acme.crypto.createPrivateEcdsaKey();
  const csrs = await Promise.all(
    Array.from({ length: options.orders }, async (_, i) => {
      const name = `${options.namePrefix}${i}.bench.test`;
      const [, csr] = await acme.crypto.createCsr({ commonName: name, altNames: [name] }, csrKey);
      return { name, csr };
    }),
  );
  const clients = await Promise.all(
    Array.from({ length: options.clients }, async () => {
      const client = new acme.Client({
        directoryUrl: options.directoryUrl,
        accountKey: await acme.crypto.createPrivateEcdsaKey(),
        backoffMin: 5,
        backoffMax: 100,
        backoffAttempts: 50,
      });
      await client.createAccount({ termsOfServiceAgreed: true, contact: ['mailto:bench@example.test'] });
      return client;
    }),
  );
  const durations: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    clients.map(async (client) => {
      for (let i = next++; i < options.orders; i = next++) {
        const orderStarted = performance.now();
        const { name, csr } = csrs[i]!;
        const order = await client.createOrder({ identifiers: [{ type: 'dns', value: name }] });
        for (const authz of await client.getAuthorizations(order)) {
          if (authz.status === 'valid') continue;
          const challenge = authz.challenges.find((c) => c.type === 'http-01');
          if (!challenge) throw new Error(`${name}: no http-01 challenge offered`);
          await client.completeChallenge(challenge);
          await client.waitForValidStatus(authz);
        }
        const finalized = await client.finalizeOrder(order, csr);
        const done = finalized.status === 'valid' ? finalized : await client.waitForValidStatus(finalized);
        const pem = await client.getCertificate(done);
        if (!pem.includes('BEGIN CERTIFICATE')) throw new Error(`${name}: no certificate downloaded`);
        durations.push(performance.now() - orderStarted);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  durations.sort((a, b) => a - b);
  const at = (q: number) => durations[Math.min(durations.length - 1, Math.floor(q * durations.length))]!;
  return { ordersPerSecond: options.orders / seconds, p50Ms: at(0.5), p99Ms: at(0.99) };
}
