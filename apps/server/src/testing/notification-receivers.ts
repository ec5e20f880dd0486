import { type FakeVendor, startFakeVendor } from '@certctl/connector-testkit';
import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';

/*
 * What the server's notification tests deliver to, besides the connector-testkit's vendor fakes
 * (Slack, Teams, PagerDuty, OpsGenie): a real SMTP server for @certctl/notifier-email and a webhook
 * receiver whose answer a test controls for @certctl/notifier-webhook. The notifiers themselves are
 * the real packages.
 */

export interface FailingEndpoint extends FakeVendor {
  /** Status to answer with (500 unless changed). */
  status: number;
}

/** A webhook receiver at `POST /hook` that answers `status` (500 unless changed) and records every attempt. */
export async function startFailingEndpoint(): Promise<FailingEndpoint> {
  const state = { status: 500 };
  const fake = await startFakeVendor({
    tls: false,
    routes: {
      'POST /hook': () => ({
        status: state.status,
        body: state.status < 300 ? { ok: true } : { error: 'internal error' },
      }),
    },
  });
  return Object.defineProperty(Object.assign(fake, {}), 'status', {
    get: () => state.status,
    set: (v: number) => (state.status = v),
    enumerable: true,
  }) as FailingEndpoint;
}

export interface SmtpMessage {
  from: string;
  to: string[];
  subject: string;
  /** The plain-text part, decoded. */
  text: string;
  /** The HTML part, decoded (undefined when the mail has none). */
  html?: string;
  raw: string;
}

export interface SmtpSink {
  port: number;
  messages: SmtpMessage[];
  close(): Promise<void>;
}

/** A real SMTP server (smtp-server) on a loopback port, without TLS, that keeps every message it accepts, parsed (mailparser). */
export async function startSmtpSink(): Promise<SmtpSink> {
  const messages: SmtpMessage[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        simpleParser(raw).then(
          (parsed) => {
            messages.push({
              from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
              to: session.envelope.rcptTo.map((r) => r.address),
              subject: parsed.subject ?? '',
              text: parsed.text ?? '',
              html: typeof parsed.html === 'string' ? parsed.html : undefined,
              raw,
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
  const port = (server.server.address() as { port: number }).port;
  return { port, messages, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}
