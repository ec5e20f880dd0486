import { randomBytes } from 'node:crypto';
import { type FakeRequest, type FakeResponse, type FakeVendor, startFakeVendor } from '../fake-vendor.js';
import { createFaultQueue, type FaultQueue, isRecord, parseJsonBody } from './fake-faults.js';

/** An event the fake PagerDuty accepted. */
export interface PagerDutyEvent {
  routing_key: string;
  event_action: 'trigger' | 'acknowledge' | 'resolve';
  dedup_key: string;
  payload?: {
    summary: string;
    source: string;
    severity: 'critical' | 'error' | 'warning' | 'info';
    timestamp?: string;
    component?: string;
    group?: string;
    class?: string;
    custom_details?: unknown;
  };
  client?: string;
  client_url?: string;
  links?: { href: string; text?: string }[];
  images?: unknown[];
}

export interface FakePagerDuty {
  /** The Events API base URL; events go to `<url>/v2/enqueue`. */
  url: string;
  /** A valid 32-character integration (routing) key. */
  routingKey: string;
  caPem?: string;
  vendor: FakeVendor;
  /** Accepted events, oldest first. */
  events: PagerDutyEvent[];
  /** Alert state by dedup key: the last action applied. */
  alerts: Map<string, 'triggered' | 'acknowledged' | 'resolved'>;
  faults: FaultQueue;
  /** The next request gets 429 (PagerDuty sends no Retry-After on the Events API unless told to here). */
  rateLimitNext(retryAfterSeconds?: number): void;
  close(): Promise<void>;
}

const SEVERITIES = new Set(['critical', 'error', 'warning', 'info']);
const ACTIONS = new Set(['trigger', 'acknowledge', 'resolve']);

function invalid(errors: string[]): FakeResponse {
  return { status: 400, body: { status: 'invalid event', message: 'Event object is invalid', errors } };
}

/** The documented checks of an Events API v2 alert event; returns the error strings PagerDuty would list. */
function eventErrors(event: Record<string, unknown>, knownKeys: ReadonlySet<string>): string[] {
  const errors: string[] = [];
  const key = event.routing_key;
  if (typeof key !== 'string') errors.push("'routing_key' is missing or blank");
  else {
    if (key.length !== 32) errors.push("Length of 'routing_key' is incorrect (should be 32 characters)");
    if (!/^[A-Za-z0-9]*$/.test(key)) errors.push("'routing_key' cannot contain non-alphanumeric characters.");
    // A well-formed key of no integration: PagerDuty answers 400 "Invalid routing key".
    if (errors.length === 0 && !knownKeys.has(key)) errors.push('Invalid routing key');
  }
  const action = event.event_action;
  if (typeof action !== 'string' || !ACTIONS.has(action))
    errors.push("'event_action' is invalid (must be one of the following: 'trigger', 'acknowledge' or 'resolve')");
  const dedup = event.dedup_key;
  if (dedup !== undefined && (typeof dedup !== 'string' || dedup.length === 0 || dedup.length > 255))
    errors.push("'dedup_key' must be a string of 1 to 255 characters");
  if ((action === 'acknowledge' || action === 'resolve') && typeof dedup !== 'string')
    errors.push(`'dedup_key' is required for ${action} events`);
  if (action === 'trigger') {
    const payload = event.payload;
    if (!isRecord(payload)) errors.push("'payload' is missing or not an object");
    else {
      if (typeof payload.summary !== 'string' || payload.summary.trim() === '')
        errors.push("'payload.summary' is missing or blank");
      else if (payload.summary.length > 1024) errors.push("'payload.summary' must be at most 1024 characters");
      if (typeof payload.source !== 'string' || payload.source.trim() === '')
        errors.push("'payload.source' is missing or blank");
      if (typeof payload.severity !== 'string' || !SEVERITIES.has(payload.severity))
        errors.push(
          "'payload.severity' is invalid (must be one of the following: 'critical', 'warning', 'error' or 'info')",
        );
      if (
        payload.timestamp !== undefined &&
        (typeof payload.timestamp !== 'string' || Number.isNaN(Date.parse(payload.timestamp)))
      )
        errors.push("'payload.timestamp' must be an ISO 8601 date");
    }
  }
  if (event.links !== undefined) {
    if (!Array.isArray(event.links) || event.links.some((l) => !isRecord(l) || typeof l.href !== 'string'))
      errors.push("'links' must be an array of objects with an 'href'");
  }
  return errors;
}

/**
 * A fake PagerDuty Events API v2, as documented: `POST /v2/enqueue` with a JSON alert event
 * (`routing_key` of 32 characters, `event_action` trigger|acknowledge|resolve, `dedup_key`, and for
 * triggers `payload{summary, source, severity}`); `202 {status: "success", message: "Event processed",
 * dedup_key}`, `400 {status: "invalid event", message, errors[]}`, `429` when throttled. The Events
 * API takes no Authorization header: the routing key is the credential.
 */
export async function startFakePagerDuty(options: { tls?: boolean } = {}): Promise<FakePagerDuty> {
  const routingKey = randomBytes(16).toString('hex');
  const knownKeys = new Set([routingKey]);
  const events: PagerDutyEvent[] = [];
  const alerts = new Map<string, 'triggered' | 'acknowledged' | 'resolved'>();
  const faults = createFaultQueue();

  const enqueue = (request: FakeRequest): FakeResponse => {
    const fault = faults.take();
    if (fault) return fault;
    if (!(request.headers['content-type'] ?? '').startsWith('application/json'))
      return invalid(['Content-Type must be application/json']);
    const event = parseJsonBody(request.text());
    if (!isRecord(event))
      return {
        status: 400,
        body: { status: 'invalid event', message: 'Event object is invalid', errors: ['Malformed JSON'] },
      };
    const errors = eventErrors(event, knownKeys);
    if (errors.length > 0) return invalid(errors);
    const dedupKey = typeof event.dedup_key === 'string' ? event.dedup_key : randomBytes(16).toString('hex');
    const accepted = { ...event, dedup_key: dedupKey } as unknown as PagerDutyEvent;
    events.push(accepted);
    const state = { trigger: 'triggered', acknowledge: 'acknowledged', resolve: 'resolved' } as const;
    // PagerDuty ignores acknowledge/resolve for a key with no open alert, yet still answers 202.
    if (accepted.event_action === 'trigger') alerts.set(dedupKey, 'triggered');
    else if (alerts.has(dedupKey) && alerts.get(dedupKey) !== 'resolved')
      alerts.set(dedupKey, state[accepted.event_action]);
    return { status: 202, body: { status: 'success', message: 'Event processed', dedup_key: dedupKey } };
  };

  const vendor = await startFakeVendor({ tls: options.tls, routes: { 'POST /v2/enqueue': enqueue } });
  return {
    url: vendor.url,
    routingKey,
    caPem: vendor.caPem,
    vendor,
    events,
    alerts,
    faults,
    rateLimitNext(retryAfterSeconds) {
      faults.push({
        status: 429,
        headers: retryAfterSeconds === undefined ? {} : { 'retry-after': String(retryAfterSeconds) },
        body: {
          status: 'throttle event',
          message: 'Requests for this service are arriving too quickly. Please retry later.',
        },
      });
    },
    close: () => vendor.close(),
  };
}
