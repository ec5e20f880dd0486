/**
 * Everything that becomes a script argument, an environment value or a stdin line is checked here
 * first, before any process starts: hex-only serials and RFC 5280 reasons, so that nothing a caller
 * passes can turn into an option, a second command or a forged line.
 */
import { validateArgument } from '@certctl/connector-utils';
import {
  type CrlEntry,
  isRevocationReason,
  MalformedInputError,
  type RevocationReason,
  revocationReasonCode,
} from '@certctl/core';
import { CONNECTOR } from './connector-name.js';

/** Lowercase hex of even length without leading zero bytes, as the script receives it. */
export function scriptSerial(serial: string): string {
  let hex = validateArgument(serial, 'hex-serial', CONNECTOR);
  while (hex.length > 1 && hex.startsWith('0')) hex = hex.slice(1);
  return hex.length % 2 === 1 ? `0${hex}` : hex;
}

/** The reason's RFC 5280 name and code; anything else is refused. */
export function scriptReason(reason: string): { name: RevocationReason; code: number } {
  const name = validateArgument(reason, 'revocation-reason', CONNECTOR);
  if (!isRevocationReason(name)) {
    throw new MalformedInputError({
      connector: CONNECTOR,
      inputKind: 'revocation-reason',
      message: `unknown reason ${name}`,
    });
  }
  return { name, code: revocationReasonCode(name) };
}

/** `YYYYMMDDHHMMSSZ` (GeneralizedTime), which `openssl ca -enddate` and `-crl_nextupdate` accept. */
export function generalizedTime(date: Date): string {
  if (Number.isNaN(date.getTime()) || date.getUTCFullYear() < 1950 || date.getUTCFullYear() > 9999) {
    throw new MalformedInputError({ connector: CONNECTOR, inputKind: 'time', message: 'time is out of range' });
  }
  return `${date.toISOString().slice(0, 19).replace(/[-T:]/g, '')}Z`;
}

/** The CRL script's stdin: one `<serial> <reason> <time>` line per revocation. */
export function crlInputLines(entries: readonly CrlEntry[]): string {
  return entries
    .map(
      (entry) =>
        `${scriptSerial(entry.serial)} ${scriptReason(entry.reason).name} ${generalizedTime(entry.revokedAt)}\n`,
    )
    .join('');
}
