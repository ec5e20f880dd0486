/**
 * An EST refusal: RFC 7030 4.2.3 answers errors with a 4xx/5xx status and a human-readable
 * text/plain body; 401 carries a Basic challenge, 202/503 a Retry-After.
 */
export class EstError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'EstError';
  }
}

export const badRequest = (message: string) => new EstError(400, message);
