import type { AddressInfo } from 'node:net';
import { createTestCa, type TestCa } from '@certctl/connector-testkit';
import { type ParsedMail, simpleParser } from 'mailparser';
import { SMTPServer, type SMTPServerSession } from 'smtp-server';

export interface ReceivedMail {
  envelope: { from: string; to: string[] };
  parsed: ParsedMail;
  raw: string;
  /** Whether the session was encrypted (STARTTLS or implicit TLS) when DATA came. */
  secure: boolean;
  authMethod?: string;
  user?: string;
}

export interface SmtpTestServer {
  host: string;
  port: number;
  /** The CA that signed the server certificate (absent in plain mode). */
  caPem?: string;
  mails: ReceivedMail[];
  /** Answers the next DATA with this SMTP reply code (e.g. 451 or 554). */
  failNextData(responseCode: number): void;
  close(): Promise<void>;
}

export interface SmtpTestServerOptions {
  /** `starttls` (offers STARTTLS), `implicit` (TLS from the first byte, like port 465) or `plain` (no TLS at all). */
  tls: 'starttls' | 'implicit' | 'plain';
  user: string;
  password: string;
  authMethods?: string[];
  /** Sign the server certificate with this CA; default a fresh one. */
  ca?: TestCa;
  /** Recipients refused with 550. */
  rejectRecipients?: string[];
}

/** A real SMTP server (the `smtp-server` package) on 127.0.0.1 and a free port, requiring AUTH. */
export async function startSmtpTestServer(options: SmtpTestServerOptions): Promise<SmtpTestServer> {
  const mails: ReceivedMail[] = [];
  let failNext: number | undefined;
  const authMethodBySession = new Map<string, string>();
  let key: string | undefined;
  let cert: string | undefined;
  let ca: TestCa | undefined;
  if (options.tls !== 'plain') {
    ca = options.ca ?? (await createTestCa({ commonName: 'certctl test SMTP CA' }));
    const leaf = await ca.issue({
      commonName: 'localhost',
      sans: { dns: ['localhost'], ip: ['127.0.0.1'] },
      extKeyUsages: ['serverAuth'],
    });
    key = leaf.privateKeyPem;
    cert = leaf.certificatePem;
  }
  const server = new SMTPServer({
    secure: options.tls === 'implicit',
    key,
    cert,
    disabledCommands: options.tls === 'plain' ? ['STARTTLS'] : [],
    allowInsecureAuth: options.tls === 'plain',
    authMethods: options.authMethods ?? ['PLAIN', 'LOGIN'],
    authOptional: false,
    logger: false,
    onAuth(auth, session, callback) {
      if (auth.username === options.user && auth.password === options.password) {
        authMethodBySession.set(session.id, auth.method);
        callback(null, { user: auth.username });
        return;
      }
      callback(Object.assign(new Error('Invalid username or password'), { responseCode: 535 }));
    },
    onRcptTo(address, _session, callback) {
      if (options.rejectRecipients?.includes(address.address)) {
        callback(Object.assign(new Error('Mailbox unavailable'), { responseCode: 550 }));
        return;
      }
      callback();
    },
    onData(stream, session: SMTPServerSession, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        if (failNext !== undefined) {
          const code = failNext;
          failNext = undefined;
          callback(
            Object.assign(new Error(code < 500 ? 'Try again later' : 'Message rejected'), { responseCode: code }),
          );
          return;
        }
        const raw = Buffer.concat(chunks).toString('utf8');
        simpleParser(raw).then(
          (parsed) => {
            mails.push({
              envelope: {
                from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
                to: session.envelope.rcptTo.map((r) => r.address),
              },
              parsed,
              raw,
              secure: session.secure,
              authMethod: authMethodBySession.get(session.id),
              user: session.user as string | undefined,
            });
            callback();
          },
          (error: Error) => callback(error),
        );
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server as unknown as { server: { address(): AddressInfo } }).server.address().port;
  return {
    host: '127.0.0.1',
    port,
    caPem: ca?.certificatePem,
    mails,
    failNextData(code) {
      failNext = code;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
