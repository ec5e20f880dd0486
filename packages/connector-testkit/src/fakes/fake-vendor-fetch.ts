import { createFetch, createSsrfAgent, createSsrfPolicy } from '@certctl/connector-utils';

/**
 * A `fetch` for `createTestContext({ fetch })` that reaches a fake vendor on loopback: the SSRF
 * policy is the strict one plus loopback (nothing else), and the fake's per-run CA is trusted.
 */
export function createFakeVendorFetch(
  fake: { caPem?: string },
  options: { timeoutMs?: number } = {},
): typeof globalThis.fetch {
  const ssrfPolicy = createSsrfPolicy({ allowLoopback: true, connector: 'fake-vendor' });
  return createFetch({
    timeoutMs: options.timeoutMs ?? 10_000,
    ssrfPolicy,
    dispatcher: createSsrfAgent(ssrfPolicy, { connect: fake.caPem ? { ca: fake.caPem } : {} }),
  });
}
