import type { CreatedAt, Json } from '../../db/column-types.js';

/** One answer per principal, operation and `Idempotency-Key`; `status` is null while the first request runs. */
export interface IdempotencyKeysTable {
  principal: string;
  operation: string;
  key: string;
  requestHash: string;
  status: number | null;
  response: Json<unknown> | null;
  createdAt: CreatedAt;
}

export interface IdempotencyTables {
  idempotencyKeys: IdempotencyKeysTable;
}
