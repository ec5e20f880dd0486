import type { Certificate, JobStatus } from '../../db/tables.js';
import type { Executor } from '../../db/open-database.js';

/** The order a certificate's issuance or renewal waits on at the CA, as the certificate API shows it. */
export interface OpenCaOrder {
  jobId: string;
  orderId: string;
  state: string | null;
  jobStatus: JobStatus;
  nextCheckAt: Date;
  deadline: Date | null;
  checks: number;
}

/** Jobs still following a CA order: waiting on it, or due again after a transient failure to ask. */
const OPEN: JobStatus[] = ['waiting_on_ca', 'pending', 'running'];

/** The open CA order of each certificate that has one (the newest job's, should there be two). */
export async function openCaOrders(db: Executor, certificateIds: readonly string[]): Promise<Map<string, OpenCaOrder>> {
  const orders = new Map<string, OpenCaOrder>();
  if (certificateIds.length === 0) return orders;
  const rows = await db
    .selectFrom('jobs')
    .select([
      'id',
      'certificateId',
      'caOrderId',
      'caOrderState',
      'caOrderPolls',
      'caOrderDeadline',
      'status',
      'nextRunAt',
    ])
    .where('certificateId', 'in', [...certificateIds])
    .where('type', 'in', ['issuance', 'renewal'])
    .where('status', 'in', OPEN)
    .where('caOrderId', 'is not', null)
    .orderBy('createdAt', 'asc')
    .execute();
  for (const row of rows)
    orders.set(row.certificateId, {
      jobId: row.id,
      orderId: row.caOrderId!,
      state: row.caOrderState,
      jobStatus: row.status,
      nextCheckAt: row.nextRunAt,
      deadline: row.caOrderDeadline,
      checks: row.caOrderPolls,
    });
  return orders;
}

/** Certificates as the API shows them: with `caOrder` set (null when nothing waits at the CA). */
export async function withCaOrders<C extends Certificate>(
  db: Executor,
  certificates: readonly C[],
): Promise<(C & { caOrder: OpenCaOrder | null })[]> {
  const orders = await openCaOrders(
    db,
    certificates.map((c) => c.id),
  );
  return certificates.map((c) => ({ ...c, caOrder: orders.get(c.id) ?? null }));
}
