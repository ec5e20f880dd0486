import type { Executor } from '../../db/open-database.js';
import type { AcmeServerConfig } from './acme-server-config.js';

const DEFAULTS = { teamId: 't-acme-server', ownerId: 'o-acme-server', policyId: 'rp-acme-server', name: 'acme-server' };

export interface AcmeOwnership {
  teamId: string;
  ownerId: string;
  renewalPolicyId: string;
}

/**
 * Who owns certificates ACME clients order: the configured team, owner and renewal policy, or an
 * `acme-server` team/owner/policy created on first use so the server works with no setup.
 */
export async function acmeOwnership(trx: Executor, config: AcmeServerConfig): Promise<AcmeOwnership> {
  let teamId = config.teamId;
  if (!teamId) {
    await trx
      .insertInto('teams')
      .values({ id: DEFAULTS.teamId, name: DEFAULTS.name, description: 'Certificates ordered over ACME' })
      .onConflict((oc) => oc.doNothing())
      .execute();
    teamId = (
      await trx
        .selectFrom('teams')
        .select('id')
        .where((eb) => eb.or([eb('id', '=', DEFAULTS.teamId), eb('name', '=', DEFAULTS.name)]))
        .executeTakeFirstOrThrow()
    ).id;
  }
  let ownerId = config.ownerId;
  if (!ownerId) {
    await trx
      .insertInto('owners')
      .values({ id: DEFAULTS.ownerId, name: DEFAULTS.name, email: 'acme-server@localhost', teamId })
      .onConflict((oc) => oc.doNothing())
      .execute();
    ownerId = DEFAULTS.ownerId;
  }
  let renewalPolicyId = config.renewalPolicyId;
  if (!renewalPolicyId) {
    // ACME clients renew themselves: the server does not start renewals for these certificates.
    await trx
      .insertInto('renewalPolicies')
      .values({ id: DEFAULTS.policyId, name: DEFAULTS.name, renewalWindowDays: 30, autoRenew: false })
      .onConflict((oc) => oc.doNothing())
      .execute();
    renewalPolicyId = (
      await trx
        .selectFrom('renewalPolicies')
        .select('id')
        .where((eb) => eb.or([eb('id', '=', DEFAULTS.policyId), eb('name', '=', DEFAULTS.name)]))
        .executeTakeFirstOrThrow()
    ).id;
  }
  return { teamId, ownerId, renewalPolicyId };
}
