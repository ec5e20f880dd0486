import { z } from 'zod';
import type { Executor } from '../../db/open-database.js';
import type { Actor } from '../../shared/actor.js';
import { recordAudit } from '../../shared/audit.js';

const STATE_KEY = 'network_scan.settings';

/** The admin's guard rails for every network scan (stored in server state, changed through the API). */
export const networkScanSettingsSchema = z.strictObject({
  max_addresses_per_cidr: z
    .number()
    .int()
    .min(1)
    .max(65_536)
    .default(4096)
    .describe('Widest CIDR a target may list, in addresses (4096 = /20; at most 65536 = /16)'),
  allow_loopback: z
    .boolean()
    .default(false)
    .describe("Probe 127.0.0.0/8 and ::1 (the server's own host); refused otherwise"),
  concurrency: z.number().int().min(1).max(200).default(50).describe('Connections open at once per scan'),
  rate_per_second: z
    .number()
    .int()
    .min(1)
    .max(1000)
    .default(100)
    .describe('New connections started per second per scan'),
});

export type NetworkScanSettingsWire = z.output<typeof networkScanSettingsSchema>;

export interface NetworkScanSettings {
  maxAddressesPerCidr: number;
  allowLoopback: boolean;
  concurrency: number;
  ratePerSecond: number;
}

const toSettings = (wire: NetworkScanSettingsWire): NetworkScanSettings => ({
  maxAddressesPerCidr: wire.max_addresses_per_cidr,
  allowLoopback: wire.allow_loopback,
  concurrency: wire.concurrency,
  ratePerSecond: wire.rate_per_second,
});

export async function getNetworkScanSettings(db: Executor): Promise<NetworkScanSettings> {
  const row = await db.selectFrom('serverState').select('value').where('key', '=', STATE_KEY).executeTakeFirst();
  const parsed = networkScanSettingsSchema.safeParse(row?.value ?? {});
  return toSettings(parsed.success ? parsed.data : networkScanSettingsSchema.parse({}));
}

/** Replaces the fields given; the others keep their value. */
export async function updateNetworkScanSettings(
  db: Executor,
  actor: Actor,
  change: Partial<NetworkScanSettingsWire>,
): Promise<NetworkScanSettings> {
  const current = await getNetworkScanSettings(db);
  const next = networkScanSettingsSchema.parse({
    max_addresses_per_cidr: change.max_addresses_per_cidr ?? current.maxAddressesPerCidr,
    allow_loopback: change.allow_loopback ?? current.allowLoopback,
    concurrency: change.concurrency ?? current.concurrency,
    rate_per_second: change.rate_per_second ?? current.ratePerSecond,
  });
  await db
    .insertInto('serverState')
    .values({ key: STATE_KEY, value: JSON.stringify(next) })
    .onConflict((oc) => oc.column('key').doUpdateSet({ value: JSON.stringify(next), updatedAt: new Date() }))
    .execute();
  await recordAudit(db, actor, 'network_scan_settings_updated', { type: 'settings', id: 'network_scan' }, next);
  return toSettings(next);
}
