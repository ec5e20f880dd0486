import type { Generated, Selectable } from 'kysely';
import type { CreatedAt, Json, Timestamp, UpdatedAt } from '../../db/column-types.js';

export type BulkKind = 'revoke' | 'renew' | 'reassign';
export type BulkStatus = 'running' | 'completed';
export type BulkItemStatus = 'pending' | 'running' | 'succeeded' | 'skipped' | 'failed';

export interface BulkOperationsTable {
  id: string;
  kind: BulkKind;
  status: Generated<BulkStatus>;
  requestedBy: string;
  /** The caller's `idempotency_key`, or a hash of the request: a repeat within a day returns the same operation. */
  idempotencyKey: string;
  request: Json<Record<string, unknown>>;
  total: Generated<number>;
  createdAt: CreatedAt;
  updatedAt: UpdatedAt;
  completedAt: Timestamp | null;
}

export interface BulkOperationItemsTable {
  operationId: string;
  certificateId: string;
  position: number;
  status: Generated<BulkItemStatus>;
  leaseExpiresAt: Timestamp | null;
  jobId: string | null;
  detail: string | null;
  updatedAt: UpdatedAt;
}

export interface BulkOperationTables {
  bulkOperations: BulkOperationsTable;
  bulkOperationItems: BulkOperationItemsTable;
}

export type BulkOperation = Selectable<BulkOperationsTable>;
export type BulkOperationItem = Selectable<BulkOperationItemsTable>;
