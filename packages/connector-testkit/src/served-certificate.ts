import { execFile } from 'node:child_process';
import { createServer } from 'node:net';
import { normalizeSerial } from './test-pki.js';

/** Runs openssl with `input` on stdin (closed after, so s_client hangs up); resolves even on a non-zero exit. */
function openssl(
  args: string[],
  input: string,
  timeoutMs: number,
): Promise<{ stdout: string; stderr: string; error: Error | null }> {
  return new Promise((resolve) => {
    const child = execFile('openssl', args, { timeout: timeoutMs }, (error, stdout, stderr) =>
      resolve({ stdout, stderr, error }),
    );
    child.stdin?.end(input);
  });
}

/** A TCP port on 127.0.0.1 that was free a moment ago (the OS picked it), for a real server a test starts. */
export async function freeLoopbackPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (typeof address !== 'object' || address === null) throw new Error('no port assigned');
  return address.port;
}

export interface ServedCertificateOptions {
  port: number;
  host?: string;
  /** SNI name sent in the handshake. */
  servername?: string;
  /** Upgrade a plain connection first, as `openssl s_client -starttls` does (mail servers). */
  starttls?: 'smtp' | 'imap' | 'pop3' | 'ftp' | 'xmpp';
  timeoutMs?: number;
}

export interface ServedCertificate {
  /** Lowercase hex, no leading zero bytes (as the contract writes serials). */
  serial: string;
  /** SHA-256 of the DER, lowercase hex. */
  fingerprintSha256: string;
  /** Number of certificates the server sent (leaf + chain). */
  chainLength: number;
}

/**
 * The certificate a TLS server presents, as `openssl s_client` sees it: an independent client, so a
 * test proves what the server serves rather than what our code wrote.
 */
export async function readServedCertificate(options: ServedCertificateOptions): Promise<ServedCertificate> {
  const host = options.host ?? '127.0.0.1';
  const args = ['s_client', '-connect', `${host}:${options.port}`, '-showcerts'];
  if (options.servername) args.push('-servername', options.servername);
  if (options.starttls) args.push('-starttls', options.starttls);
  // s_client may exit non-zero after printing the chain (a server that hangs up); what it printed counts.
  const handshake = await openssl(args, '', options.timeoutMs ?? 10_000);
  const blocks = handshake.stdout.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\n?/g) ?? [];
  const leaf = blocks[0];
  if (!leaf) {
    throw new Error(
      `${host}:${options.port} presented no certificate: ${handshake.stderr.trim() || handshake.error?.message}`,
    );
  }
  const parsed = await openssl(['x509', '-noout', '-serial', '-fingerprint', '-sha256'], leaf, 10_000);
  if (parsed.error) throw new Error(`openssl x509 refused the served certificate: ${parsed.stderr}`);
  const x509 = parsed.stdout;
  const serial = /serial=([0-9A-Fa-f]+)/.exec(x509)?.[1];
  const fingerprint = /Fingerprint=([0-9A-Fa-f:]+)/.exec(x509)?.[1];
  if (!serial || !fingerprint) throw new Error(`openssl x509 printed no serial/fingerprint: ${x509}`);
  return {
    serial: normalizeSerial(serial),
    fingerprintSha256: fingerprint.replace(/:/g, '').toLowerCase(),
    chainLength: blocks.length,
  };
}

/**
 * Polls the server until it presents `serial` (servers reload asynchronously), or throws after
 * `timeoutMs` naming the serial it saw last.
 */
export async function waitForServedSerial(
  options: ServedCertificateOptions & { serial: string; timeoutMs?: number },
): Promise<ServedCertificate> {
  const deadline = Date.now() + (options.timeoutMs ?? 15_000);
  const wanted = normalizeSerial(options.serial);
  let last = 'nothing';
  for (;;) {
    try {
      const served = await readServedCertificate({ ...options, timeoutMs: 5_000 });
      if (served.serial === wanted) return served;
      last = `serial ${served.serial}`;
    } catch (error) {
      last = (error as Error).message;
    }
    if (Date.now() > deadline) throw new Error(`127.0.0.1:${options.port} still serves ${last}, not ${wanted}`);
    await new Promise((resolve) => setTimeout(resolve, 150));
  }
}
