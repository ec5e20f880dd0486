import { defineNotifier, type Notification, type NotificationSeverity, secret, VendorApiError } from '@certctl/core';
import { type FakeVendor, startFakeVendor } from '@certctl/connector-testkit';
import nodemailer from 'nodemailer';
import { SMTPServer } from 'smtp-server';
import { z } from 'zod';

/*
 * Stand-ins for the notifier packages (developed in parallel), written against the same vendor
 * wire formats so the scenario tests can swap in @certctl/notifier-slack, -email and -pagerduty:
 * they talk to the fakes below exactly as the real connectors would. They use the global fetch, not
 * ctx.fetch, because ctx.fetch refuses loopback addresses by design.
 */

async function post(connector: string, url: string, body: unknown, signal?: AbortSignal): Promise<{ status: number; text: string }> {
  let response: Response;
  try {
    response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), signal });
  } catch (error) {
    throw new VendorApiError({ connector, message: `POST ${new URL(url).pathname} failed: ${error instanceof Error ? error.message : String(error)}`, cause: error });
  }
  const text = await response.text();
  if (!response.ok) throw new VendorApiError({ connector, message: `POST ${new URL(url).pathname} answered ${response.status}: ${text.slice(0, 200)}`, status: response.status, body: text });
  return { status: response.status, text };
}

/** Slack incoming webhook: POST {text} to the webhook URL, 200 "ok". */
export const testSlackNotifier = defineNotifier({
  id: 'slack',
  displayName: 'Slack (test stand-in)',
  version: '0.0.0',
  configSchema: z.object({ webhook_url: secret(z.string().url()), channel: z.string().optional() }).strict(),
  env: { CERTCTL_SLACK_WEBHOOK_URL: 'webhook_url', CERTCTL_SLACK_CHANNEL: 'channel' },
  create: (config) => ({
    async send(n: Notification) {
      await post('notifier-slack', config.webhook_url, { text: `*${n.subject}*\n${n.text}`, ...(config.channel && { channel: config.channel }) }, n.signal);
      return { detail: 'posted to Slack' };
    },
  }),
});

/** A generic JSON webhook (the failing-500 case points it at a fake that answers 500). */
export const testWebhookNotifier = defineNotifier({
  id: 'webhook',
  displayName: 'Webhook (test stand-in)',
  version: '0.0.0',
  configSchema: z.object({ url: z.string().url(), secret: secret(z.string().optional()) }).strict(),
  env: { CERTCTL_WEBHOOK_URL: 'url', CERTCTL_WEBHOOK_SECRET: 'secret' },
  create: (config) => ({
    async send(n: Notification) {
      await post('notifier-webhook', config.url, { event: n.event, severity: n.severity, subject: n.subject, text: n.text, dedup_key: n.dedupKey, certificate: n.certificate }, n.signal);
      return { detail: 'webhook delivered' };
    },
  }),
});

const PD_SEVERITY: Record<NotificationSeverity, string> = { informational: 'info', warning: 'warning', critical: 'critical' };

/** PagerDuty Events API v2: trigger and resolve on the same dedup_key. */
export const testPagerDutyNotifier = defineNotifier({
  id: 'pagerduty',
  displayName: 'PagerDuty (test stand-in)',
  version: '0.0.0',
  configSchema: z.object({ routing_key: secret(z.string().length(32)), events_url: z.string().url().default('https://events.pagerduty.com') }).strict(),
  env: { CERTCTL_PAGERDUTY_ROUTING_KEY: 'routing_key', CERTCTL_PAGERDUTY_EVENTS_URL: 'events_url' },
  capabilities: { resolve: true },
  create: (config) => ({
    async send(n: Notification) {
      const { text } = await post('notifier-pagerduty', `${config.events_url}/v2/enqueue`, { routing_key: config.routing_key, event_action: 'trigger', dedup_key: n.dedupKey, payload: { summary: n.subject.slice(0, 1024), source: n.certificate?.commonName ?? 'certctl', severity: PD_SEVERITY[n.severity], timestamp: n.occurredAt.toISOString() } }, n.signal);
      return { providerId: (JSON.parse(text) as { dedup_key?: string }).dedup_key, detail: 'PagerDuty event accepted' };
    },
    async resolve(dedupKey: string, options?: { signal?: AbortSignal }) {
      await post('notifier-pagerduty', `${config.events_url}/v2/enqueue`, { routing_key: config.routing_key, event_action: 'resolve', dedup_key: dedupKey }, options?.signal);
    },
  }),
});

/** SMTP through nodemailer to the recipients (the certificate owner by default). */
export const testEmailNotifier = defineNotifier({
  id: 'email',
  displayName: 'Email (test stand-in)',
  version: '0.0.0',
  configSchema: z.object({ smtp_host: z.string(), smtp_port: z.number().int().default(587), from_address: z.string().email(), username: z.string().optional(), password: secret(z.string().optional()), use_tls: z.boolean().default(true), recipients: z.array(z.string().email()).default([]) }).strict(),
  env: { CERTCTL_SMTP_HOST: 'smtp_host', CERTCTL_SMTP_PORT: 'smtp_port', CERTCTL_SMTP_FROM_ADDRESS: 'from_address', CERTCTL_SMTP_USERNAME: 'username', CERTCTL_SMTP_PASSWORD: 'password', CERTCTL_SMTP_USE_TLS: 'use_tls' },
  capabilities: { html: true },
  create: (config) => {
    const transport = nodemailer.createTransport({ host: config.smtp_host, port: config.smtp_port, secure: false, ignoreTLS: !config.use_tls, ...(config.username && { auth: { user: config.username, pass: config.password ?? '' } }) });
    return {
      async send(n: Notification) {
        const to = n.recipients?.length ? n.recipients : config.recipients;
        if (to.length === 0) throw new VendorApiError({ connector: 'notifier-email', message: 'no recipients', status: 400, retryable: false });
        try {
          const info = await transport.sendMail({ from: config.from_address, to, subject: n.subject, text: n.text, ...(n.html && { html: n.html }) });
          return { providerId: info.messageId, detail: `accepted by ${config.smtp_host}` };
        } catch (error) {
          const code = (error as { responseCode?: number }).responseCode;
          throw new VendorApiError({ connector: 'notifier-email', message: `SMTP: ${error instanceof Error ? error.message : String(error)}`, status: code && code >= 500 ? 400 : 503, cause: error });
        }
      },
      async stop() {
        transport.close();
      },
    };
  },
});

export interface SlackFake extends FakeVendor {
  messages: { text: string }[];
}

/** Slack's incoming-webhook endpoint: `POST /services/T../B../secret`, JSON with text, answers `ok`. */
export async function startSlackFake(): Promise<SlackFake> {
  const messages: { text: string }[] = [];
  const fake = await startFakeVendor({
    tls: false,
    routes: {
      'POST /services/:team/:bot/:token': (request) => {
        if (request.params.token !== 'test-webhook-token') return { status: 403, body: 'invalid_token' };
        const body = request.json() as { text?: unknown };
        if (typeof body.text !== 'string' || body.text.length === 0) return { status: 400, body: 'invalid_payload' };
        messages.push({ text: body.text });
        return { status: 200, body: 'ok' };
      },
    },
  });
  return Object.assign(fake, { messages });
}

export interface PagerDutyFake extends FakeVendor {
  /** Incidents by dedup key, as PagerDuty would hold them. */
  incidents: Map<string, { status: 'triggered' | 'resolved'; summary: string; severity: string; triggers: number }>;
}

export const PAGERDUTY_ROUTING_KEY = 'R0UT1NGKEY0123456789abcdefABCDEF';

/** PagerDuty Events API v2 (`POST /v2/enqueue`): 202 with the dedup key; 400 "invalid event" on a bad body or key. */
export async function startPagerDutyFake(): Promise<PagerDutyFake> {
  const incidents: PagerDutyFake['incidents'] = new Map();
  const invalid = (message: string) => ({ status: 400, body: { status: 'invalid event', message: 'Event object is invalid', errors: [message] } });
  const fake = await startFakeVendor({
    tls: false,
    routes: {
      'POST /v2/enqueue': (request) => {
        const event = request.json() as { routing_key?: string; event_action?: string; dedup_key?: string; payload?: { summary?: string; source?: string; severity?: string } };
        if (event.routing_key !== PAGERDUTY_ROUTING_KEY) return invalid("'routing_key' is invalid");
        if (event.event_action === 'trigger') {
          if (!event.payload?.summary || !event.payload.source || !['critical', 'error', 'warning', 'info'].includes(event.payload.severity ?? '')) return invalid("'payload' is missing or invalid");
          const key = event.dedup_key ?? `generated-${incidents.size}`;
          const previous = incidents.get(key);
          incidents.set(key, { status: 'triggered', summary: event.payload.summary, severity: event.payload.severity!, triggers: (previous?.triggers ?? 0) + 1 });
          return { status: 202, body: { status: 'success', message: 'Event processed', dedup_key: key } };
        }
        if (event.event_action === 'resolve' || event.event_action === 'acknowledge') {
          if (!event.dedup_key) return invalid("'dedup_key' is required");
          const incident = incidents.get(event.dedup_key);
          if (incident && event.event_action === 'resolve') incident.status = 'resolved';
          return { status: 202, body: { status: 'success', message: 'Event processed', dedup_key: event.dedup_key } };
        }
        return invalid("'event_action' is invalid");
      },
    },
  });
  return Object.assign(fake, { incidents });
}

export interface FailingEndpoint extends FakeVendor {
  /** Status to answer with (500 by default). */
  status: number;
}

/** A webhook receiver that answers `status` (500 unless changed) and records every attempt. */
export async function startFailingEndpoint(): Promise<FailingEndpoint> {
  const state = { status: 500 };
  const fake = await startFakeVendor({ tls: false, routes: { 'POST /hook': () => ({ status: state.status, body: state.status < 300 ? { ok: true } : { error: 'internal error' } }) } });
  return Object.defineProperty(Object.assign(fake, {}), 'status', { get: () => state.status, set: (v: number) => (state.status = v), enumerable: true }) as FailingEndpoint;
}

export interface SmtpSink {
  port: number;
  messages: { from: string; to: string[]; raw: string }[];
  close(): Promise<void>;
}

/** A real SMTP server (smtp-server) on a loopback port that keeps every message it accepts. */
export async function startSmtpSink(): Promise<SmtpSink> {
  const messages: SmtpSink['messages'] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        messages.push({ from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '', to: session.envelope.rcptTo.map((r) => r.address), raw: Buffer.concat(chunks).toString('utf8') });
        callback();
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
