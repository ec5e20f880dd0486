import type { ColumnType } from 'kysely';

/** A timestamp column: Date out, Date in. */
export type Timestamp = ColumnType<Date, Date | string, Date | string>;
export type CreatedAt = ColumnType<Date, Date | string | undefined, never>;
export type UpdatedAt = ColumnType<Date, Date | string | undefined, Date | string>;
/** A jsonb column: parsed value out, JSON text in (both drivers would turn a JS array into a PostgreSQL array). */
export type Json<T> = ColumnType<T, string, string>;
export type JsonWithDefault<T> = ColumnType<T, string | undefined, string>;
