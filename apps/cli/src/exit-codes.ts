/** The exit codes of `certctl`, documented in docs/cli.md. */
export const EXIT = {
  ok: 0,
  /** Anything else that failed (a file that cannot be written, a job that ended failed with --wait). */
  failure: 1,
  /** Bad arguments or options, an unknown command, or missing configuration. */
  usage: 2,
  /** The server refused the request (4xx): not found, invalid, forbidden, conflict. */
  refused: 4,
  /** The server failed (5xx) or could not be reached (network, TLS, timeout). */
  unavailable: 5,
} as const;

/** A failure that carries its exit code (usage problems, failed jobs). */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT.failure,
  ) {
    super(message);
    this.name = 'CliError';
  }
}
