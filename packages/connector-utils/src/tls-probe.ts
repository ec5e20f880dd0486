import { createHash } from 'node:crypto';
import { connect as connectTcp, type Socket } from 'node:net';
import { type ConnectionOptions, connect as connectTls } from 'node:tls';
import { type Clock, ConnectorError, createDeadlineSignal, DeadlineExceededError } from '@certctl/core';

export type StartTlsProtocol = 'smtp' | 'imap' | 'pop3';

export interface ProbeTlsOptions {
  host: string;
  port: number;
  /** SNI to send; default none (the server's default certificate). */
  servername?: string;
  /** Speak the protocol's plain-text upgrade first (SMTP STARTTLS, IMAP STARTTLS, POP3 STLS). */
  starttls?: StartTlsProtocol;
  /** Deadline of the whole probe; default 10 s. */
  timeoutMs?: number;
  signal?: AbortSignal;
  connector?: string;
}

/** The exchange before the handshake: what to send and which reply line ends it (and whether it means yes). */
const UPGRADES: Record<StartTlsProtocol, { greeting: RegExp; steps: { send: string; done: RegExp; ok: RegExp }[] }> = {
  smtp: {
    greeting: /^220[ -]/,
    steps: [
      { send: 'EHLO certctl.invalid\r\n', done: /^\d{3} /, ok: /^250 / },
      { send: 'STARTTLS\r\n', done: /^\d{3} /, ok: /^220 / },
    ],
  },
  imap: {
    greeting: /^\* (OK|PREAUTH)/,
    steps: [{ send: 'c1 STARTTLS\r\n', done: /^c1 /, ok: /^c1 OK/i }],
  },
  pop3: {
    greeting: /^\+OK/,
    steps: [{ send: 'STLS\r\n', done: /^[+-]/, ok: /^\+OK/ }],
  },
};

/**
 * The leaf certificate (DER) a TLS endpoint presents, after a STARTTLS upgrade when asked. The
 * chain is not verified: callers compare the exact certificate they deployed, which says more.
 * Written by hand because the mail STARTTLS exchanges are three short line protocols and no
 * maintained library does only this.
 */
export async function probeTlsCertificate(options: ProbeTlsOptions): Promise<Uint8Array> {
  return (await probeTlsEndpoint(options)).certificateDer;
}

/** What a TLS endpoint presented in one handshake. */
export interface TlsEndpointObservation {
  /** The leaf certificate (DER). */
  certificateDer: Uint8Array;
  /** The other certificates it sent, in the order sent (DER), without the leaf. */
  chainDer: Uint8Array[];
  /** Negotiated protocol, e.g. `TLSv1.3`. */
  protocol: string | null;
  /** Negotiated cipher suite (OpenSSL name). */
  cipher: string | null;
  /** The stapled OCSP response (DER), when the server sent one; it is asked for on every probe. */
  ocspResponse?: Uint8Array;
}

/**
 * One handshake with a TLS endpoint (after a STARTTLS upgrade when asked), reporting the leaf, the
 * chain it sent, the protocol and cipher, and any stapled OCSP response. Nothing is verified here.
 */
export async function probeTlsEndpoint(options: ProbeTlsOptions): Promise<TlsEndpointObservation> {
  const { connector } = options;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const target = `${options.host}:${options.port}`;
  // Not AbortSignal.any: the caller's signal is often a connector's long-lived ctx.signal (see createDeadlineSignal).
  const deadline = createDeadlineSignal(timeoutMs, [options.signal]);
  const signal = deadline.signal;
  const sockets: Socket[] = [];
  const fail = (message: string, cause?: unknown) =>
    new ConnectorError({ connector, message: `TLS probe of ${target}: ${message}`, cause, retryable: true });

  const work = (async () => {
    const plain = connectTcp({ host: options.host, port: options.port });
    sockets.push(plain);
    await new Promise<void>((resolve, reject) => {
      plain.once('connect', resolve);
      plain.once('error', (error) =>
        reject(fail(`cannot connect (${(error as NodeJS.ErrnoException).code ?? error.message})`, error)),
      );
    });
    if (options.starttls) await upgrade(plain, UPGRADES[options.starttls], options.starttls, fail);
    const tlsOptions: ConnectionOptions & { requestOCSP: boolean } = {
      socket: plain,
      servername: options.servername,
      // We compare the presented certificate byte for byte; trust decisions are not this probe's job.
      rejectUnauthorized: false,
      // A TLSSocket option tls.connect passes through (its type omits it): ask for a stapled response.
      requestOCSP: true,
    };
    const secure = connectTls(tlsOptions);
    sockets.push(secure);
    let ocspResponse: Uint8Array | undefined;
    secure.once('OCSPResponse', (response: Buffer | null) => {
      if (response && response.length > 0) ocspResponse = new Uint8Array(response);
    });
    await new Promise<void>((resolve, reject) => {
      secure.once('secureConnect', resolve);
      secure.once('error', (error) => reject(fail(`TLS handshake failed (${error.message})`, error)));
    });
    const peer = secure.getPeerCertificate(true);
    if (!peer?.raw) throw fail('the server presented no certificate');
    const chainDer: Uint8Array[] = [];
    const seen = new Set<object>([peer]);
    for (let next = peer.issuerCertificate; next?.raw && !seen.has(next); next = next.issuerCertificate) {
      seen.add(next);
      chainDer.push(new Uint8Array(next.raw));
    }
    const cipher = secure.getCipher();
    return {
      certificateDer: new Uint8Array(peer.raw),
      chainDer,
      protocol: secure.getProtocol() ?? null,
      cipher: cipher?.standardName ?? cipher?.name ?? null,
      ...(ocspResponse && { ocspResponse }),
    };
  })();

  const aborted = new Promise<never>((_, reject) => {
    const onAbort = () =>
      reject(
        deadline.timedOut()
          ? new DeadlineExceededError({
              connector,
              message: `TLS probe of ${target} did not finish within ${timeoutMs} ms`,
            })
          : fail('aborted', signal.reason),
      );
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([work, aborted]);
  } finally {
    deadline.dispose();
    for (const socket of sockets.reverse()) socket.destroy();
    work.catch(() => undefined);
  }
}

async function upgrade(
  socket: Socket,
  protocol: (typeof UPGRADES)[StartTlsProtocol],
  name: StartTlsProtocol,
  fail: (message: string, cause?: unknown) => ConnectorError,
): Promise<void> {
  let buffer = '';
  const lines: string[] = [];
  let wake: (() => void) | undefined;
  let closed: Error | undefined;
  const onData = (chunk: Buffer) => {
    buffer += chunk.toString('latin1');
    if (buffer.length > 65_536) buffer = buffer.slice(-65_536);
    let index = buffer.indexOf('\n');
    while (index >= 0) {
      lines.push(buffer.slice(0, index).replace(/\r$/, ''));
      buffer = buffer.slice(index + 1);
      index = buffer.indexOf('\n');
    }
    wake?.();
  };
  const onEnd = () => {
    closed = fail(`the server closed the connection during the ${name} STARTTLS exchange`);
    wake?.();
  };
  socket.on('data', onData);
  socket.once('end', onEnd);
  socket.once('error', onEnd);
  const nextLine = async (): Promise<string> => {
    while (lines.length === 0) {
      if (closed) throw closed;
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
      wake = undefined;
    }
    return lines.shift()!;
  };
  /** Reads lines until one matches `done` (multi-line replies continue before it); returns that line. */
  const reply = async (done: RegExp): Promise<string> => {
    for (;;) {
      const line = await nextLine();
      if (done.test(line)) return line;
    }
  };
  try {
    const greeting = await nextLine();
    if (!protocol.greeting.test(greeting)) throw fail(`unexpected ${name} greeting "${greeting.slice(0, 80)}"`);
    if (name === 'smtp' && /^220-/.test(greeting)) await reply(/^220 /);
    for (const step of protocol.steps) {
      socket.write(step.send);
      const line = await reply(step.done);
      if (!step.ok.test(line)) throw fail(`the server refused ${step.send.trim()}: "${line.slice(0, 80)}"`);
    }
  } finally {
    socket.off('data', onData);
    socket.off('end', onEnd);
    socket.off('error', onEnd);
  }
}

export interface VerifyServedCertificateOptions extends Omit<ProbeTlsOptions, 'timeoutMs'> {
  /** SHA-256 of the DER the endpoint must present (hex, any case, colons allowed). */
  fingerprintSha256: string;
  /** How long to keep trying: a reload can take a moment to reach new connections. Default 10 s. */
  withinMs?: number;
  /** Sleeps between attempts. */
  clock: Pick<Clock, 'sleep'>;
}

/**
 * Resolves once the endpoint presents the certificate with this fingerprint; throws a
 * ConnectorError naming what it presented instead (or why it could not tell) when time runs out.
 */
export async function verifyServedCertificate(options: VerifyServedCertificateOptions): Promise<void> {
  const wanted = options.fingerprintSha256.toLowerCase().replace(/[^0-9a-f]/g, '');
  const withinMs = options.withinMs ?? 10_000;
  const deadline = createDeadlineSignal(withinMs, [options.signal]);
  const signal = deadline.signal;
  let last = 'nothing was probed';
  try {
    for (;;) {
      try {
        const der = await probeTlsCertificate({ ...options, timeoutMs: Math.min(5_000, withinMs), signal });
        const seen = createHash('sha256').update(der).digest('hex');
        if (seen === wanted) return;
        last = `it presents the certificate with SHA-256 ${seen}`;
      } catch (error) {
        if (options.signal?.aborted) throw error;
        // A probe cut short by our own deadline says less than the failure before it.
        if (deadline.timedOut() && last !== 'nothing was probed') break;
        last = (error as Error).message;
      }
      if (deadline.timedOut()) break;
      try {
        await options.clock.sleep(250, signal);
      } catch {
        break;
      }
    }
  } finally {
    deadline.dispose();
  }
  throw new ConnectorError({
    connector: options.connector,
    message: `${options.host}:${options.port} does not present the deployed certificate (SHA-256 ${wanted}) after ${withinMs} ms: ${last.replace(/^\[certctl\] (\[[^\]]+\] )?/, '')}`,
    retryable: true,
  });
}
