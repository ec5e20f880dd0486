import type { FailInfoName } from './scep-attributes.js';

/** A request SCEP answers with a FAILURE CertRep; `detail` goes to the log and audit, never to the client. */
export class ScepFailure extends Error {
  constructor(
    readonly failInfo: FailInfoName,
    readonly detail: string,
  ) {
    super(`SCEP request refused (${failInfo}): ${detail}`);
    this.name = 'ScepFailure';
  }
}
