import { SYSTEM_ACTOR } from '../../shared/actor.js';
import { recordAudit } from '../../shared/audit.js';
import type { ServiceDeps } from '../../shared/service-deps.js';
import { DEFAULT_KEY_ALGORITHMS } from '../policies/profiles.js';

export const DEFAULT_ACME_PROFILE_ID = 'acme-default';
const CREATED_STATE = 'acme_default_profile_created';

/**
 * With the ACME server on and no CERTCTL_ACME_SERVER_DEFAULT_PROFILE_ID, `/acme/directory` answers
 * from a profile made at the first such start (as step-ca's default ACME provisioner): server
 * certificates whose names the client proves by challenge. Made once: an operator who edits,
 * disables or deletes it keeps that choice across restarts and replicas.
 */
export async function ensureDefaultAcmeProfile(deps: ServiceDeps): Promise<string> {
  await deps.db.transaction().execute(async (trx) => {
    const first = await trx
      .insertInto('serverState')
      .values({ key: CREATED_STATE, value: JSON.stringify(DEFAULT_ACME_PROFILE_ID) })
      .onConflict((oc) => oc.column('key').doNothing())
      .returning('key')
      .executeTakeFirst();
    if (!first) return;
    const created = await trx
      .insertInto('certificateProfiles')
      .values({
        id: DEFAULT_ACME_PROFILE_ID,
        name: DEFAULT_ACME_PROFILE_ID,
        description: 'Default ACME profile (made at first start): names proven by HTTP-01, DNS-01 or TLS-ALPN-01',
        allowedKeyAlgorithms: JSON.stringify(DEFAULT_KEY_ALGORITHMS),
        allowedEkus: JSON.stringify(['serverAuth']),
        acmeAuthMode: 'challenge',
      })
      .onConflict((oc) => oc.doNothing())
      .returning('id')
      .executeTakeFirst();
    if (created)
      await recordAudit(
        trx,
        SYSTEM_ACTOR,
        'create_profile',
        { type: 'profile', id: created.id },
        { acme_default: true },
      );
  });
  return DEFAULT_ACME_PROFILE_ID;
}
