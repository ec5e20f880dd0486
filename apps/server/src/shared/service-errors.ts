/** Domain errors the HTTP layer maps to 4xx; their messages are safe to show to the caller. */
export class ServiceError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'ServiceError';
  }
}

export const notFound = (what: string, id: string) =>
  new ServiceError(404, 'not_found', `${what} ${id} does not exist`);
export const conflict = (message: string, details?: unknown) => new ServiceError(409, 'conflict', message, details);
export const invalid = (message: string, details?: unknown) =>
  new ServiceError(400, 'invalid_request', message, details);
export const forbidden = (message: string) => new ServiceError(403, 'forbidden', message);
export const unprocessable = (message: string, details?: unknown) =>
  new ServiceError(422, 'unprocessable', message, details);

/** PostgreSQL error codes we turn into 409s instead of 500s. */
export function databaseConflict(error: unknown): ServiceError | undefined {
  const code = (error as { code?: string } | null)?.code;
  const detail =
    (error as { detail?: string; constraint?: string } | null)?.constraint ?? (error as { detail?: string }).detail;
  if (code === '23505') return conflict(`already exists${detail ? ` (${detail})` : ''}`);
  if (code === '23503')
    return conflict(
      `still referenced by other records, or refers to a record that does not exist${detail ? ` (${detail})` : ''}`,
    );
  return undefined;
}
