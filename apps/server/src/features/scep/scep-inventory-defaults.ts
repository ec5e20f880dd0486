import { sql } from 'kysely';
import type { Executor } from '../../db/open-database.js';

const NAME = 'scep-enrollment';

/**
 * The team, owner and renewal policy SCEP-enrolled certificates belong to (devices ask for a
 * certificate; nobody chose an owner). Created once, found by name after. The policy does not
 * auto-renew: the server holds no device key, devices renew themselves with RenewalReq.
 */
export async function scepInventoryDefaults(
  trx: Executor,
): Promise<{ teamId: string; ownerId: string; renewalPolicyId: string }> {
  await sql`INSERT INTO teams (id, name, description) VALUES (${'t-scep-enrollment'}, ${NAME}, ${'Certificates enrolled by SCEP devices'}) ON CONFLICT DO NOTHING`.execute(
    trx,
  );
  const team = await trx.selectFrom('teams').select('id').where('name', '=', NAME).executeTakeFirstOrThrow();
  await sql`INSERT INTO renewal_policies (id, name, auto_renew) VALUES (${'rp-scep-enrollment'}, ${NAME}, false) ON CONFLICT DO NOTHING`.execute(
    trx,
  );
  const policy = await trx
    .selectFrom('renewalPolicies')
    .select('id')
    .where('name', '=', NAME)
    .executeTakeFirstOrThrow();
  await sql`INSERT INTO owners (id, name, email, team_id) VALUES (${'o-scep-enrollment'}, ${'SCEP enrollment'}, ${'scep@localhost'}, ${team.id}) ON CONFLICT DO NOTHING`.execute(
    trx,
  );
  return { teamId: team.id, ownerId: 'o-scep-enrollment', renewalPolicyId: policy.id };
}
