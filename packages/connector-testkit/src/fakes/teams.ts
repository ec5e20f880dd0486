import { randomBytes, randomUUID } from 'node:crypto';
import { type FakeRequest, type FakeResponse, type FakeVendor, startFakeVendor } from '../fake-vendor.js';
import { createFaultQueue, type FaultQueue, isRecord, parseJsonBody } from './fake-faults.js';

/** What a Teams channel received: an Adaptive Card through a Workflows webhook, or a legacy MessageCard. */
export interface TeamsPost {
  format: 'adaptive-card' | 'message-card';
  /** The whole request body. */
  payload: Record<string, unknown>;
  /** The Adaptive Card (`attachments[0].content`), for `adaptive-card`. */
  card?: Record<string, unknown>;
}

export interface FakeTeams {
  /** A Workflows (Power Automate) webhook URL with its `sig` query parameter. */
  workflowUrl: string;
  /** The same workflow with a wrong signature (401). */
  wrongSignatureUrl: string;
  /** A legacy Office 365 connector URL (`/webhookb2/...`, MessageCard). */
  legacyUrl: string;
  caPem?: string;
  vendor: FakeVendor;
  posts: TeamsPost[];
  faults: FaultQueue;
  /** The next request gets 429 with `Retry-After: seconds`. */
  rateLimitNext(seconds: number): void;
  /** The next legacy request gets HTTP 200 with a delivery-failure text instead of `1` (how connectors report throttling). */
  legacyDeliveryFailureNext(): void;
  close(): Promise<void>;
}

const CARD_ELEMENTS = new Set([
  'TextBlock',
  'RichTextBlock',
  'Image',
  'ImageSet',
  'Media',
  'FactSet',
  'Container',
  'ColumnSet',
  'ActionSet',
  'Table',
]);
const ACTIONS = new Set([
  'Action.OpenUrl',
  'Action.Submit',
  'Action.ShowCard',
  'Action.ToggleVisibility',
  'Action.Execute',
]);

/** Adaptive Card schema checks Teams applies (types, required properties, versions up to 1.5). */
function cardProblem(card: unknown): string | undefined {
  if (!isRecord(card)) return 'content must be an object';
  if (card.type !== 'AdaptiveCard') return "content.type must be 'AdaptiveCard'";
  if (typeof card.version !== 'string' || !/^1\.[0-5]$/.test(card.version)) return 'content.version must be 1.0 to 1.5';
  if (!Array.isArray(card.body)) return 'content.body must be an array';
  const elementProblem = (element: unknown, where: string): string | undefined => {
    if (!isRecord(element) || typeof element.type !== 'string' || !CARD_ELEMENTS.has(element.type))
      return `${where}.type is unknown`;
    if (element.type === 'TextBlock' && typeof element.text !== 'string') return `${where}.text is required`;
    if (element.type === 'FactSet') {
      if (!Array.isArray(element.facts)) return `${where}.facts is required`;
      for (const [i, fact] of element.facts.entries())
        if (!isRecord(fact) || typeof fact.title !== 'string' || typeof fact.value !== 'string')
          return `${where}.facts[${i}] needs title and value strings`;
    }
    if (element.type === 'Container') {
      if (!Array.isArray(element.items)) return `${where}.items is required`;
      for (const [i, item] of element.items.entries()) {
        const p = elementProblem(item, `${where}.items[${i}]`);
        if (p) return p;
      }
    }
    if (element.type === 'ActionSet') return actionsProblem(element.actions, `${where}.actions`);
    return undefined;
  };
  for (const [i, element] of card.body.entries()) {
    const p = elementProblem(element, `content.body[${i}]`);
    if (p) return p;
  }
  if (card.actions !== undefined) return actionsProblem(card.actions, 'content.actions');
  return undefined;
}

function actionsProblem(actions: unknown, where: string): string | undefined {
  if (!Array.isArray(actions)) return `${where} must be an array`;
  for (const [i, action] of actions.entries()) {
    if (!isRecord(action) || typeof action.type !== 'string' || !ACTIONS.has(action.type))
      return `${where}[${i}].type is unknown`;
    if (action.type === 'Action.OpenUrl' && (typeof action.url !== 'string' || !/^https?:\/\//.test(action.url)))
      return `${where}[${i}].url must be an http(s) URL`;
  }
  return undefined;
}

function workflowError(status: number, code: string, message: string): FakeResponse {
  return { status, body: { error: { code, message } } };
}

/**
 * A fake Microsoft Teams. Workflows: `POST /workflows/<id>/triggers/manual/paths/invoke?api-version=
 * 2016-06-01&sp=...&sv=1.0&sig=<sig>` with `{type: "message", attachments: [{contentType:
 * "application/vnd.microsoft.card.adaptive", content: <AdaptiveCard>}]}` → 202 (empty body); a wrong
 * `sig` → 401, a malformed body → 400 `{error: {code, message}}`, 429 with Retry-After. Legacy
 * connector: `POST /webhookb2/<group>@<tenant>/IncomingWebhook/<id>/<owner>` with a MessageCard →
 * `200 "1"`, 400 "Summary or Text is required." / "Bad payload received by generic incoming webhook.".
 */
export async function startFakeTeams(options: { tls?: boolean } = {}): Promise<FakeTeams> {
  const workflowId = randomBytes(16).toString('hex');
  const sig = randomBytes(32).toString('base64url');
  const legacyPath = `/webhookb2/${randomUUID()}@${randomUUID()}/IncomingWebhook/${randomBytes(16).toString('hex')}/${randomUUID()}`;
  const posts: TeamsPost[] = [];
  const faults = createFaultQueue();

  const workflow = (request: FakeRequest): FakeResponse => {
    const fault = faults.take();
    if (fault) return fault;
    if (request.params.workflowId !== workflowId)
      return workflowError(404, 'WorkflowNotFound', 'The workflow could not be found.');
    const q = request.url.searchParams;
    if (q.get('api-version') === null)
      return workflowError(
        400,
        'MissingApiVersionParameter',
        'The api-version query parameter (?api-version=) is required for all requests.',
      );
    if (q.get('sig') === null)
      return workflowError(
        401,
        'DirectApiAuthorizationRequired',
        'The request must be authenticated only by Shared Access scheme.',
      );
    if (q.get('sig') !== sig)
      return workflowError(
        401,
        'DirectApiInvalidAuthorizationSignature',
        'The provided authorization signature is invalid.',
      );
    if (!(request.headers['content-type'] ?? '').startsWith('application/json'))
      return workflowError(
        400,
        'InvalidRequestContent',
        'The request content is not valid JSON or the content type is not application/json.',
      );
    const payload = parseJsonBody(request.text());
    if (!isRecord(payload))
      return workflowError(400, 'InvalidRequestContent', 'The request content is not valid JSON.');
    if (payload.type !== 'message') return workflowError(400, 'InvalidRequestContent', "'type' must be 'message'.");
    if (!Array.isArray(payload.attachments) || payload.attachments.length === 0)
      return workflowError(400, 'InvalidRequestContent', "'attachments' must hold at least one card.");
    const attachment = payload.attachments[0];
    if (!isRecord(attachment) || attachment.contentType !== 'application/vnd.microsoft.card.adaptive')
      return workflowError(
        400,
        'InvalidRequestContent',
        "attachments[0].contentType must be 'application/vnd.microsoft.card.adaptive'.",
      );
    const problem = cardProblem(attachment.content);
    if (problem) return workflowError(400, 'InvalidRequestContent', `The Adaptive Card is invalid: ${problem}.`);
    posts.push({ format: 'adaptive-card', payload, card: attachment.content as Record<string, unknown> });
    return { status: 202, body: '' };
  };

  const legacy = (request: FakeRequest): FakeResponse => {
    const fault = faults.take();
    if (fault) return fault;
    if (request.path !== legacyPath)
      return {
        status: 404,
        headers: { 'content-type': 'text/plain' },
        body: 'Webhook Bad Request - Null or empty event',
      };
    const payload = parseJsonBody(request.text());
    const text = (status: number, body: string): FakeResponse => ({
      status,
      headers: { 'content-type': 'text/plain' },
      body,
    });
    if (!isRecord(payload)) return text(400, 'Bad payload received by generic incoming webhook.');
    if (payload['@type'] !== undefined && payload['@type'] !== 'MessageCard')
      return text(400, 'Bad payload received by generic incoming webhook.');
    const hasText = typeof payload.text === 'string' && payload.text !== '';
    const hasSummary = typeof payload.summary === 'string' && payload.summary !== '';
    if (!hasText && !hasSummary) return text(400, 'Summary or Text is required.');
    if (payload.sections !== undefined) {
      if (!Array.isArray(payload.sections) || payload.sections.length > 10)
        return text(400, 'Bad payload received by generic incoming webhook.');
      for (const section of payload.sections) {
        if (!isRecord(section)) return text(400, 'Bad payload received by generic incoming webhook.');
        if (
          section.facts !== undefined &&
          (!Array.isArray(section.facts) ||
            section.facts.some((f) => !isRecord(f) || typeof f.name !== 'string' || typeof f.value !== 'string'))
        )
          return text(400, 'Bad payload received by generic incoming webhook.');
      }
    }
    if (payload.potentialAction !== undefined && !Array.isArray(payload.potentialAction))
      return text(400, 'Bad payload received by generic incoming webhook.');
    posts.push({ format: 'message-card', payload });
    return text(200, '1');
  };

  const vendor = await startFakeVendor({
    tls: options.tls,
    routes: {
      'POST /workflows/:workflowId/triggers/manual/paths/invoke': workflow,
    },
    handler: (request) =>
      request.method === 'POST' && request.path.startsWith('/webhookb2/')
        ? legacy(request)
        : workflowError(404, 'NotFound', 'not found'),
  });
  const query = (signature: string) => `?api-version=2016-06-01&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig=${signature}`;
  return {
    workflowUrl: `${vendor.url}/workflows/${workflowId}/triggers/manual/paths/invoke${query(sig)}`,
    wrongSignatureUrl: `${vendor.url}/workflows/${workflowId}/triggers/manual/paths/invoke${query(randomBytes(32).toString('base64url'))}`,
    legacyUrl: `${vendor.url}${legacyPath}`,
    caPem: vendor.caPem,
    vendor,
    posts,
    faults,
    rateLimitNext(seconds) {
      faults.push({
        ...workflowError(429, 'WorkflowRequestsThrottled', 'The workflow has exceeded its request limit.'),
        headers: { 'retry-after': String(seconds) },
      });
    },
    legacyDeliveryFailureNext() {
      faults.push({
        status: 200,
        headers: { 'content-type': 'text/plain' },
        body: 'Webhook message delivery failed with error: Microsoft Teams endpoint returned HTTP error 429 with ContextId tcid=0,server=msgapi-production-weu-azsc2-1-25,cv=.',
      });
    },
    close: () => vendor.close(),
  };
}
