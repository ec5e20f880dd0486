import { randomUUID } from 'node:crypto';
import { type FakeRequest, type FakeResponse, type FakeVendor, startFakeVendor } from '../fake-vendor.js';
import { createFaultQueue, type FaultQueue, isRecord, parseJsonBody } from './fake-faults.js';

/** An alert as the fake OpsGenie holds it. */
export interface OpsgenieAlert {
  id: string;
  tinyId: string;
  message: string;
  alias?: string;
  description?: string;
  priority: 'P1' | 'P2' | 'P3' | 'P4' | 'P5';
  tags: string[];
  details: Record<string, string>;
  source?: string;
  entity?: string;
  status: 'open' | 'closed';
  /** The `note` of the close request, when closed with one. */
  closeNote?: string;
}

/** One API request the fake accepted, in order (`create` or `close`). */
export interface OpsgenieAction {
  action: 'create' | 'close';
  requestId: string;
  identifier?: string;
  identifierType?: 'id' | 'alias' | 'tiny';
  body: Record<string, unknown>;
}

export interface FakeOpsgenie {
  /** The API base URL (stands in for `https://api.opsgenie.com` or `https://api.eu.opsgenie.com`). */
  url: string;
  /** An API integration key the fake accepts (`Authorization: GenieKey <key>`). */
  apiKey: string;
  caPem?: string;
  vendor: FakeVendor;
  alerts: OpsgenieAlert[];
  actions: OpsgenieAction[];
  faults: FaultQueue;
  /** The next request gets 429 with `Retry-After: seconds`. */
  rateLimitNext(seconds: number): void;
  close(): Promise<void>;
}

const PRIORITIES = new Set(['P1', 'P2', 'P3', 'P4', 'P5']);

function took(): number {
  return Math.round(Math.random() * 100) / 1000;
}

/** OpsGenie's error envelope: `{ message, took, requestId }`, plus `errors` by field for 422. */
function opsgenieError(status: number, message: string, errors?: Record<string, string>): FakeResponse {
  return { status, body: { message, ...(errors ? { errors } : {}), took: took(), requestId: randomUUID() } };
}

function createErrors(body: Record<string, unknown>): Record<string, string> {
  const errors: Record<string, string> = {};
  const text = (key: string, max: number, required = false) => {
    const value = body[key];
    if (value === undefined) {
      if (required) errors[key] = `${key[0]!.toUpperCase()}${key.slice(1)} can not be empty.`;
      return;
    }
    if (typeof value !== 'string') errors[key] = `${key} must be a string.`;
    else if (required && value.trim() === '') errors[key] = `${key[0]!.toUpperCase()}${key.slice(1)} can not be empty.`;
    else if (value.length > max) errors[key] = `${key} can not be longer than ${max} characters.`;
  };
  text('message', 130, true);
  text('alias', 512);
  text('description', 15000);
  text('source', 100);
  text('entity', 512);
  text('user', 100);
  text('note', 25000);
  if (body.priority !== undefined && (typeof body.priority !== 'string' || !PRIORITIES.has(body.priority)))
    errors.priority = 'Priority should be one of [P1, P2, P3, P4, P5].';
  if (body.tags !== undefined) {
    if (
      !Array.isArray(body.tags) ||
      body.tags.length > 20 ||
      body.tags.some((t) => typeof t !== 'string' || t.length > 50)
    )
      errors.tags = 'Tags should be at most 20 strings of at most 50 characters.';
  }
  if (body.details !== undefined) {
    if (!isRecord(body.details) || Object.values(body.details).some((v) => typeof v !== 'string'))
      errors.details = 'Details should be a map of strings.';
  }
  return errors;
}

/**
 * A fake OpsGenie Alert API v2, as documented: `Authorization: GenieKey <key>` (else 401 "Could not
 * authenticate"); `POST /v2/alerts` (message ≤130 chars required, alias ≤512, description ≤15000,
 * priority P1–P5, tags, details) and `POST /v2/alerts/:identifier/close?identifierType=id|alias|tiny`
 * answer `202 {result: "Request will be processed", took, requestId}` (the API is asynchronous);
 * `GET /v2/alerts/requests/:requestId` tells what became of a request; 422 with `errors` for an
 * unprocessable body; 429 when throttled. One open alert per alias: a create with an open alias
 * is deduplicated onto it.
 */
export async function startFakeOpsgenie(options: { tls?: boolean } = {}): Promise<FakeOpsgenie> {
  const apiKey = randomUUID();
  const alerts: OpsgenieAlert[] = [];
  const actions: OpsgenieAction[] = [];
  const results = new Map<
    string,
    { action: string; success: boolean; status: string; alertId?: string; alias?: string }
  >();
  const faults = createFaultQueue();

  const guard = (request: FakeRequest): FakeResponse | undefined => {
    const fault = faults.take();
    if (fault) return fault;
    const auth = request.headers.authorization ?? '';
    if (auth !== `GenieKey ${apiKey}`) return opsgenieError(401, 'Could not authenticate');
    return undefined;
  };
  const accepted = (requestId: string): FakeResponse => ({
    status: 202,
    body: { result: 'Request will be processed', took: took(), requestId },
  });
  const readBody = (
    request: FakeRequest,
    allowEmpty: boolean,
  ): { body: Record<string, unknown>; refused?: undefined } | { refused: FakeResponse } => {
    const text = request.text();
    if (allowEmpty && text.trim() === '') return { body: {} };
    if (!(request.headers['content-type'] ?? '').startsWith('application/json'))
      return { refused: opsgenieError(415, 'Content-Type must be application/json') };
    const body = parseJsonBody(text);
    if (!isRecord(body)) return { refused: opsgenieError(400, 'Could not parse the request body as JSON.') };
    return { body };
  };

  const create = (request: FakeRequest): FakeResponse => {
    const refused = guard(request);
    if (refused) return refused;
    const read = readBody(request, false);
    if (read.refused) return read.refused;
    const body = read.body;
    const errors = createErrors(body);
    if (Object.keys(errors).length > 0)
      return opsgenieError(422, 'Request body is not processable. Please check the errors.', errors);
    const requestId = randomUUID();
    actions.push({ action: 'create', requestId, body });
    const alias = body.alias as string | undefined;
    const open = alias === undefined ? undefined : alerts.find((a) => a.alias === alias && a.status === 'open');
    if (open) {
      results.set(requestId, {
        action: 'Create',
        success: true,
        status: 'Alert deduplicated',
        alertId: open.id,
        alias,
      });
    } else {
      const alert: OpsgenieAlert = {
        id: randomUUID(),
        tinyId: String(alerts.length + 1),
        message: body.message as string,
        alias,
        description: body.description as string | undefined,
        priority: ((body.priority as string | undefined) ?? 'P3') as OpsgenieAlert['priority'],
        tags: (body.tags as string[] | undefined) ?? [],
        details: (body.details as Record<string, string> | undefined) ?? {},
        source: body.source as string | undefined,
        entity: body.entity as string | undefined,
        status: 'open',
      };
      alerts.push(alert);
      results.set(requestId, { action: 'Create', success: true, status: 'Created alert', alertId: alert.id, alias });
    }
    return accepted(requestId);
  };

  const closeAlert = (request: FakeRequest): FakeResponse => {
    const refused = guard(request);
    if (refused) return refused;
    const identifierType = request.url.searchParams.get('identifierType') ?? 'id';
    if (identifierType !== 'id' && identifierType !== 'alias' && identifierType !== 'tiny')
      return opsgenieError(422, 'Request body is not processable. Please check the errors.', {
        identifierType: 'identifierType should be one of [id, alias, tiny].',
      });
    const read = readBody(request, true);
    if (read.refused) return read.refused;
    const body = read.body;
    const errors = createErrors({ ...body, message: 'x' });
    if (Object.keys(errors).length > 0)
      return opsgenieError(422, 'Request body is not processable. Please check the errors.', errors);
    const identifier = request.params.identifier!;
    const requestId = randomUUID();
    actions.push({ action: 'close', requestId, identifier, identifierType, body });
    const alert = alerts.find((a) =>
      identifierType === 'alias'
        ? a.alias === identifier && a.status === 'open'
        : identifierType === 'tiny'
          ? a.tinyId === identifier
          : a.id === identifier,
    );
    if (alert) {
      alert.status = 'closed';
      if (typeof body.note === 'string') alert.closeNote = body.note;
      results.set(requestId, {
        action: 'Close',
        success: true,
        status: 'Closed alert',
        alertId: alert.id,
        alias: alert.alias,
      });
    } else {
      // Asynchronous API: the request is accepted, and only its status says the alert did not exist.
      results.set(requestId, { action: 'Close', success: false, status: 'Alert does not exist' });
    }
    return accepted(requestId);
  };

  const requestStatus = (request: FakeRequest): FakeResponse => {
    const refused = guard(request);
    if (refused) return refused;
    const result = results.get(request.params.requestId!);
    if (!result) return opsgenieError(404, 'Request not found. It might not be processed, yet.');
    return {
      status: 200,
      body: {
        data: {
          success: result.success,
          action: result.action,
          processedAt: new Date().toISOString(),
          integrationId: 'fake-integration',
          isSuccess: result.success,
          status: result.status,
          alertId: result.alertId ?? '',
          alias: result.alias ?? '',
        },
        took: took(),
        requestId: randomUUID(),
      },
    };
  };

  const vendor = await startFakeVendor({
    tls: options.tls,
    routes: {
      'POST /v2/alerts': create,
      'GET /v2/alerts/requests/:requestId': requestStatus,
      'POST /v2/alerts/:identifier/close': closeAlert,
    },
  });
  return {
    url: vendor.url,
    apiKey,
    caPem: vendor.caPem,
    vendor,
    alerts,
    actions,
    faults,
    rateLimitNext(seconds) {
      faults.push({
        status: 429,
        headers: { 'retry-after': String(seconds) },
        body: {
          message: 'You are making too many requests! To avoid errors, we recommend you limit requests.',
          took: took(),
          requestId: randomUUID(),
        },
      });
    },
    close: () => vendor.close(),
  };
}
