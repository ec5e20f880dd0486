import { createFakeClock, createTestContext, type FakeClock, type TestContext } from '@certctl/connector-testkit';
import { AuthenticationError } from '@certctl/core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { setUpVault, type VaultSetup } from './test-support/vault-setup.js';
import { MAX_SLEEP_MS, RENEWAL_METRIC } from './token-renewal.js';
import { createVaultIssuer, type VaultIssuer } from './vault-issuer.js';

let setup: VaultSetup | undefined;
let ctx: TestContext | undefined;
let issuer: VaultIssuer | undefined;

afterEach(async () => {
  await issuer?.stop();
  await ctx?.cleanup();
  await setup?.close();
  issuer = undefined;
});

async function started(
  token: Parameters<VaultSetup['vault']['addToken']>[1],
): Promise<{ clock: FakeClock; setup: VaultSetup; ctx: TestContext; issuer: VaultIssuer }> {
  const clock = createFakeClock({ start: Date.now(), autoAdvance: false });
  setup = await setUpVault({ now: () => clock.now().getTime() });
  setup.vault.addToken('hvs.test', token);
  ctx = await createTestContext({ clock });
  issuer = createVaultIssuer(setup.config(), ctx, 'test');
  await issuer.start();
  return { clock, setup, ctx, issuer };
}

const outcomes = (ctx: TestContext) =>
  ctx.metricsRecorded.filter((m) => m.name === RENEWAL_METRIC).map((m) => m.labels?.result);

describe('Vault token lifecycle', () => {
  it('looks the token up at start and renews it at half its TTL, again and again', async () => {
    const { clock, setup, ctx, issuer } = await started({ ttlSeconds: 3600 });
    expect(setup.vault.vendor.requests[0]!.path).toBe('/v1/auth/token/lookup-self');
    await clock.whenSleeping(1);
    expect(clock.sleeps).toEqual([1_800_000]);

    await clock.advance(1_799_000);
    expect(setup.vault.renewals).toBe(0);
    await clock.advance(1_000);
    await vi.waitFor(() => expect(outcomes(ctx)).toEqual(['success']));
    await clock.whenSleeping(1);
    expect(clock.sleeps).toEqual([1_800_000, 1_800_000]);

    await clock.advance(1_800_000);
    await vi.waitFor(() => expect(outcomes(ctx)).toEqual(['success', 'success']));
    expect(setup.vault.renewals).toBe(2);
    expect(issuer.tokenRenewal.state).toBe('running');
  });

  it('warns, counts not_renewable and stops once renewing no longer extends the token (max TTL)', async () => {
    const { clock, ctx, issuer } = await started({ ttlSeconds: 3600, explicitMaxTtlSeconds: 5400 });
    await clock.whenSleeping(1);
    await clock.advance(1_800_000);
    await vi.waitFor(() => expect(outcomes(ctx)).toEqual(['success']));
    await clock.whenSleeping(1);
    await clock.advance(1_800_000);
    await vi.waitFor(() => expect(outcomes(ctx)).toEqual(['success', 'not_renewable']));
    expect(issuer.tokenRenewal.state).toBe('not_renewable');
    expect(clock.pendingSleeps).toBe(0);
    expect(ctx.logs.some((l) => l.level === 'warn' && /can no longer be renewed/.test(l.message ?? ''))).toBe(true);
  });

  it('warns and never starts the loop for a token that is not renewable', async () => {
    const { clock, ctx, issuer, setup } = await started({ ttlSeconds: 3600, renewable: false });
    expect(outcomes(ctx)).toEqual(['not_renewable']);
    expect(issuer.tokenRenewal.state).toBe('not_renewable');
    expect(clock.pendingSleeps).toBe(0);
    expect(setup.vault.renewals).toBe(0);
    expect(ctx.logs.some((l) => l.level === 'warn' && /not renewable/.test(l.message ?? ''))).toBe(true);
  });

  it('does not renew a token without expiry (TTL 0)', async () => {
    const { clock, issuer } = await started({ ttlSeconds: 0, renewable: false });
    expect(issuer.tokenRenewal.state).toBe('not_needed');
    expect(clock.pendingSleeps).toBe(0);
  });

  it('counts a failed renewal and tries again at half the remaining time', async () => {
    const { clock, ctx, setup } = await started({ ttlSeconds: 3600 });
    setup.vault.renewFailures = 1;
    await clock.whenSleeping(1);
    await clock.advance(1_800_000);
    await vi.waitFor(() => expect(outcomes(ctx)).toEqual(['failure']));
    await clock.whenSleeping(1);
    expect(clock.sleeps.at(-1)).toBe(900_000);
    await clock.advance(900_000);
    await vi.waitFor(() => expect(outcomes(ctx)).toEqual(['failure', 'success']));
  });

  it('stops with an error when Vault refuses the token (403) while renewing', async () => {
    const { clock, ctx, setup, issuer } = await started({ ttlSeconds: 3600 });
    setup.vault.revokeToken('hvs.test');
    await clock.whenSleeping(1);
    await clock.advance(1_800_000);
    await vi.waitFor(() => expect(outcomes(ctx)).toEqual(['failure']));
    expect(issuer.tokenRenewal.state).toBe('refused');
    expect(clock.pendingSleeps).toBe(0);
    expect(ctx.logs.some((l) => l.level === 'error')).toBe(true);
  });

  it('refuses to start with a bad token (403 on lookup-self)', async () => {
    const clock = createFakeClock({ autoAdvance: false });
    setup = await setUpVault({ now: () => clock.now().getTime() });
    ctx = await createTestContext({ clock });
    const error = await createVaultIssuer(setup.config({ token: 'hvs.nobody' }), ctx, 'test')
      .start()
      .catch((e: unknown) => e);
    expect(AuthenticationError.isInstance(error)).toBe(true);
  });

  it('waits out a year-long TTL in bounded timer slices instead of one overflowing timer', async () => {
    const { clock, setup, ctx } = await started({ ttlSeconds: 8760 * 3600 });
    await clock.whenSleeping(1);
    expect(clock.sleeps).toEqual([MAX_SLEEP_MS]);
    await clock.advance(4380 * 3_600_000 - 1_000);
    expect(setup.vault.renewals).toBe(0);
    expect(Math.max(...clock.sleeps)).toBe(MAX_SLEEP_MS);
    await clock.advance(1_000);
    await vi.waitFor(() => expect(outcomes(ctx)).toEqual(['success']));
  });

  it('stops the loop on stop()', async () => {
    const { clock, issuer } = await started({ ttlSeconds: 3600 });
    await clock.whenSleeping(1);
    await issuer.stop();
    expect(clock.pendingSleeps).toBe(0);
    expect(issuer.tokenRenewal.state).toBe('stopped');
  });
});
