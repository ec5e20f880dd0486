import type { ConnectorNetwork } from '@certctl/core';

/**
 * A `network` for `createTestContext({ network })` (or a server's connector network) that reaches a
 * fake vendor on loopback: the strict policy plus loopback (nothing else), and the fake's per-run CA
 * trusted besides the system store.
 */
export function fakeVendorNetwork(fake: { caPem?: string }): ConnectorNetwork {
  return { allowLoopback: true, ...(fake.caPem && { ca: [fake.caPem] }) };
}
