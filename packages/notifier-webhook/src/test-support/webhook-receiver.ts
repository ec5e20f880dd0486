import {
  type FakeResponse,
  type FakeVendor,
  createFaultQueue,
  type FaultQueue,
  startFakeVendor,
} from '@certctl/connector-testkit';
import { verifyWebhookSignature } from '../webhook-signature.js';

export interface ReceivedDelivery {
  headers: Record<string, string>;
  body: Record<string, unknown>;
}

export interface WebhookReceiver {
  url: string;
  caPem?: string;
  vendor: FakeVendor;
  deliveries: ReceivedDelivery[];
  faults: FaultQueue;
  /** Milliseconds the receiver waits before answering the next request. */
  delayNextMs(ms: number): void;
  close(): Promise<void>;
}

/**
 * A receiver that does what the README tells receivers to do: verify `X-Certctl-Signature` with the
 * shared secret (401 otherwise), drop a delivery id it has seen (409), require the bearer token,
 * then record the JSON body.
 */
export async function startWebhookReceiver(options: {
  secret: string;
  token: string;
  tls?: boolean;
}): Promise<WebhookReceiver> {
  const deliveries: ReceivedDelivery[] = [];
  const seen = new Set<string>();
  const faults = createFaultQueue();
  let delay = 0;
  const vendor = await startFakeVendor({
    tls: options.tls,
    routes: {
      'POST /hooks/certctl': async (request): Promise<FakeResponse> => {
        if (delay > 0) {
          const ms = delay;
          delay = 0;
          await new Promise((resolve) => setTimeout(resolve, ms));
        }
        const fault = faults.take();
        if (fault) return fault;
        if (request.headers.authorization !== `Bearer ${options.token}`)
          return { status: 401, body: { error: 'bad token' } };
        const verdict = verifyWebhookSignature({
          secret: options.secret,
          body: request.body,
          header: request.headers['x-certctl-signature'],
        });
        if (!verdict.ok) return { status: 401, body: { error: verdict.reason } };
        const id = request.headers['x-certctl-delivery'] ?? '';
        if (seen.has(id)) return { status: 409, body: { error: 'replayed delivery' } };
        seen.add(id);
        deliveries.push({ headers: request.headers, body: request.json() as Record<string, unknown> });
        return { status: 204 };
      },
    },
  });
  return {
    url: `${vendor.url}/hooks/certctl`,
    caPem: vendor.caPem,
    vendor,
    deliveries,
    faults,
    delayNextMs(ms) {
      delay = ms;
    },
    close: () => vendor.close(),
  };
}
