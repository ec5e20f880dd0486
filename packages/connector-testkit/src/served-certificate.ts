import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';

export interface ServedCertificateOptions {
  port: number;
  host?: string;
  /** SNI to send; default none. */
  servername?: string;
  /** Upgrade a plain connection first, as `openssl s_client -starttls` does. */
  starttls?: 'smtp' | 'imap' | 'pop3' | 'ftp' | 'xmpp';
  /** Deadline of one handshake; default 10 s. */
  timeoutMs?: number;
}

export interface ServedCertificate {
  /** Lowercase hex without leading zeros, as `openssl x509 -serial` prints it (lower-cased). */
  serial: string;
  /** The leaf, PEM. */
  pem: string;
}

/**
 * The certificate a TLS server presents, read with the `openssl s_client` CLI (an independent TLS
 * client), or undefined when no handshake completed.
 */
export function readServedCertificate(options: ServedCertificateOptions): Promise<ServedCertificate | undefined> {
  const args = ['s_client', '-connect', `${options.host ?? '127.0.0.1'}:${options.port}`];
  if (options.servername) args.push('-servername', options.servername);
  if (options.starttls) args.push('-starttls', options.starttls);
  return new Promise((resolve) => {
    const child = execFile('openssl', args, { timeout: options.timeoutMs ?? 10_000 }, (_error, stdout) => {
      const pem = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\n?/.exec(stdout)?.[0];
      if (!pem) return resolve(undefined);
      const serial = new X509Certificate(pem).serialNumber.toLowerCase().replace(/^0+(?=.)/, '');
      resolve({ serial, pem });
    });
    child.stdin?.end('');
  });
}

/**
 * Polls the server until it presents `serial` (a reload may take a moment to reach new connections);
 * returns the serial last seen, so `expect(await waitForServedSerial(...)).toBe(serial)` reports a mismatch plainly.
 */
export async function waitForServedSerial(
  serial: string,
  options: ServedCertificateOptions & { withinMs?: number },
): Promise<string | undefined> {
  const wanted = serial.toLowerCase().replace(/^0+(?=.)/, '');
  const deadline = Date.now() + (options.withinMs ?? 10_000);
  let seen: string | undefined;
  for (;;) {
    seen = (await readServedCertificate(options))?.serial;
    if (seen === wanted || Date.now() > deadline) return seen;
    await new Promise((r) => setTimeout(r, 150));
  }
}
