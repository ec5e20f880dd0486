import { newId } from '../../db/ids.js';
import type { CertificateProfile, KeyAlgorithmRule } from '../../db/tables.js';
import type { Actor } from '../../shared/actor.js';
import { recordAudit } from '../../shared/audit.js';
import { offsetOf, type PageRequest, type PageResult } from '../../shared/pagination.js';
import type { ServiceDeps } from '../../shared/service-deps.js';
import { notFound } from '../../shared/service-errors.js';
import { inTransaction } from '../../shared/transaction.js';

export const DEFAULT_KEY_ALGORITHMS: KeyAlgorithmRule[] = [
  { algorithm: 'ECDSA', min_size: 256 },
  { algorithm: 'RSA', min_size: 2048 },
];

export interface ProfileInput {
  id?: string;
  name: string;
  description?: string;
  allowedKeyAlgorithms?: KeyAlgorithmRule[];
  maxTtlSeconds?: number;
  allowedEkus?: string[];
  requiredSanPatterns?: string[];
  mustStaple?: boolean;
  requiresApproval?: boolean;
  allowShortLived?: boolean;
  enabled?: boolean;
  acmeAuthMode?: 'trust_authenticated' | 'challenge';
}

export async function listProfiles(deps: ServiceDeps, page: PageRequest): Promise<PageResult<CertificateProfile>> {
  const [data, count] = await Promise.all([
    deps.db
      .selectFrom('certificateProfiles')
      .selectAll()
      .orderBy('name')
      .limit(page.perPage)
      .offset(offsetOf(page))
      .execute(),
    deps.db
      .selectFrom('certificateProfiles')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow(),
  ]);
  return { data, total: Number(count.n), ...page };
}

export async function getProfile(deps: Pick<ServiceDeps, 'db'>, id: string): Promise<CertificateProfile> {
  const row = await deps.db.selectFrom('certificateProfiles').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) throw notFound('profile', id);
  return row;
}

function columns(input: Partial<ProfileInput>) {
  return {
    ...(input.name !== undefined && { name: input.name }),
    ...(input.description !== undefined && { description: input.description }),
    ...(input.allowedKeyAlgorithms !== undefined && {
      allowedKeyAlgorithms: JSON.stringify(input.allowedKeyAlgorithms),
    }),
    ...(input.maxTtlSeconds !== undefined && { maxTtlSeconds: input.maxTtlSeconds }),
    ...(input.allowedEkus !== undefined && { allowedEkus: JSON.stringify(input.allowedEkus) }),
    ...(input.requiredSanPatterns !== undefined && { requiredSanPatterns: JSON.stringify(input.requiredSanPatterns) }),
    ...(input.mustStaple !== undefined && { mustStaple: input.mustStaple }),
    ...(input.requiresApproval !== undefined && { requiresApproval: input.requiresApproval }),
    ...(input.allowShortLived !== undefined && { allowShortLived: input.allowShortLived }),
    ...(input.enabled !== undefined && { enabled: input.enabled }),
    ...(input.acmeAuthMode !== undefined && { acmeAuthMode: input.acmeAuthMode }),
  };
}

export function createProfile(deps: ServiceDeps, actor: Actor, input: ProfileInput): Promise<CertificateProfile> {
  return inTransaction(deps, async (trx) => {
    const row = await trx
      .insertInto('certificateProfiles')
      .values({
        id: input.id ?? newId('profile'),
        name: input.name,
        allowedKeyAlgorithms: JSON.stringify(input.allowedKeyAlgorithms ?? DEFAULT_KEY_ALGORITHMS),
        allowedEkus: JSON.stringify(input.allowedEkus ?? ['serverAuth']),
        ...columns({ ...input, allowedKeyAlgorithms: undefined, allowedEkus: undefined }),
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    await recordAudit(
      trx,
      actor,
      'create_profile',
      { type: 'profile', id: row.id },
      { name: row.name, requires_approval: row.requiresApproval },
    );
    return row;
  });
}

export function updateProfile(
  deps: ServiceDeps,
  actor: Actor,
  id: string,
  input: Partial<ProfileInput>,
): Promise<CertificateProfile> {
  return inTransaction(deps, async (trx) => {
    const row = await trx
      .updateTable('certificateProfiles')
      .set({ ...columns(input), updatedAt: deps.now() })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirst();
    if (!row) throw notFound('profile', id);
    await recordAudit(trx, actor, 'update_profile', { type: 'profile', id }, { fields: Object.keys(input) });
    return row;
  });
}

export function deleteProfile(deps: ServiceDeps, actor: Actor, id: string): Promise<void> {
  return inTransaction(deps, async (trx) => {
    const result = await trx.deleteFrom('certificateProfiles').where('id', '=', id).executeTakeFirst();
    if (Number(result.numDeletedRows) === 0) throw notFound('profile', id);
    await recordAudit(trx, actor, 'delete_profile', { type: 'profile', id });
  });
}
