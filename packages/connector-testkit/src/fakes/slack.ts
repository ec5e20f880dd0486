import { randomBytes } from 'node:crypto';
import { type FakeRequest, type FakeResponse, type FakeVendor, startFakeVendor } from '../fake-vendor.js';
import { createFaultQueue, type FaultQueue, isRecord, parseJsonBody } from './fake-faults.js';

/** A message the fake Slack accepted. */
export interface SlackMessage {
  text?: string;
  blocks?: Record<string, unknown>[];
  channel?: string;
  username?: string;
  icon_emoji?: string;
}

export interface FakeSlack {
  /** The incoming webhook URL to configure (`<base>/services/T…/B…/<token>`). */
  webhookUrl: string;
  /** A webhook URL whose token is wrong (answers 403 `invalid_token`). */
  wrongTokenUrl: string;
  /** A webhook URL of a removed integration (answers 404 `no_service`). */
  removedUrl: string;
  caPem?: string;
  vendor: FakeVendor;
  /** Accepted messages, oldest first. */
  messages: SlackMessage[];
  /** Queues an answer for the next request, e.g. `{ status: 500, body: 'internal_error' }`. */
  faults: FaultQueue;
  /** The next request gets 429 with `Retry-After: seconds`. */
  rateLimitNext(seconds: number): void;
  close(): Promise<void>;
}

const BLOCK_TYPES = new Set([
  'section',
  'header',
  'context',
  'divider',
  'actions',
  'image',
  'rich_text',
  'input',
  'file',
  'video',
]);
const TEXT_TYPES = new Set(['plain_text', 'mrkdwn']);

function textObjectProblem(value: unknown, where: string, max: number, plainOnly = false): string | undefined {
  if (!isRecord(value)) return `${where} must be a text object`;
  if (typeof value.type !== 'string' || !TEXT_TYPES.has(value.type))
    return `${where}.type must be plain_text or mrkdwn`;
  if (plainOnly && value.type !== 'plain_text') return `${where}.type must be plain_text`;
  if (typeof value.text !== 'string' || value.text.length === 0) return `${where}.text must be a non-empty string`;
  if (value.text.length > max) return `${where}.text must be at most ${max} characters`;
  return undefined;
}

/** Checks Block Kit the way Slack documents it (types, text objects, the length limits); returns the first problem. */
function blocksProblem(blocks: unknown): string | undefined {
  if (!Array.isArray(blocks)) return 'blocks must be an array';
  if (blocks.length > 50) return 'at most 50 blocks';
  for (const [i, block] of blocks.entries()) {
    if (!isRecord(block) || typeof block.type !== 'string' || !BLOCK_TYPES.has(block.type))
      return `blocks[${i}].type is unknown`;
    if (block.type === 'header') {
      const p = textObjectProblem(block.text, `blocks[${i}].text`, 150, true);
      if (p) return p;
    }
    if (block.type === 'section') {
      if (block.text === undefined && block.fields === undefined) return `blocks[${i}] needs text or fields`;
      if (block.text !== undefined) {
        const p = textObjectProblem(block.text, `blocks[${i}].text`, 3000);
        if (p) return p;
      }
      if (block.fields !== undefined) {
        if (!Array.isArray(block.fields) || block.fields.length > 10)
          return `blocks[${i}].fields must be an array of at most 10`;
        for (const [j, field] of block.fields.entries()) {
          const p = textObjectProblem(field, `blocks[${i}].fields[${j}]`, 2000);
          if (p) return p;
        }
      }
    }
    if (block.type === 'context') {
      if (!Array.isArray(block.elements) || block.elements.length === 0 || block.elements.length > 10)
        return `blocks[${i}].elements must hold 1 to 10 elements`;
    }
    if (block.type === 'actions') {
      if (!Array.isArray(block.elements) || block.elements.length === 0 || block.elements.length > 25)
        return `blocks[${i}].elements must hold 1 to 25 elements`;
      for (const [j, element] of block.elements.entries()) {
        if (!isRecord(element) || element.type !== 'button') continue;
        const p = textObjectProblem(element.text, `blocks[${i}].elements[${j}].text`, 75, true);
        if (p) return p;
        if (element.url !== undefined && (typeof element.url !== 'string' || !/^https?:\/\//.test(element.url)))
          return `blocks[${i}].elements[${j}].url must be an http(s) URL`;
      }
    }
    if (block.block_id !== undefined && (typeof block.block_id !== 'string' || block.block_id.length > 255))
      return `blocks[${i}].block_id must be a string of at most 255 characters`;
  }
  return undefined;
}

/** Slack answers webhooks in plain text: `ok`, or an error code such as `invalid_payload`. */
function slackText(status: number, text: string, headers: Record<string, string> = {}): FakeResponse {
  return { status, headers: { 'content-type': 'text/html', ...headers }, body: text };
}

/**
 * A fake Slack incoming webhook, as Slack documents it: POST JSON to `/services/<team>/<bot>/<token>`;
 * `200 ok` on success; `400 invalid_payload` (not JSON), `400 no_text` (neither text nor blocks),
 * `400 invalid_blocks`, `403 invalid_token`, `404 no_service`, `429` with Retry-After.
 */
export async function startFakeSlack(options: { tls?: boolean } = {}): Promise<FakeSlack> {
  const team = `T${randomBytes(4).toString('hex').toUpperCase()}`;
  const bot = `B${randomBytes(4).toString('hex').toUpperCase()}`;
  const token = randomBytes(12).toString('base64url');
  const messages: SlackMessage[] = [];
  const faults = createFaultQueue();

  const handle = (request: FakeRequest): FakeResponse => {
    const fault = faults.take();
    if (fault) return fault;
    if (request.params.team !== team || request.params.bot !== bot) return slackText(404, 'no_service');
    if (request.params.token !== token) return slackText(403, 'invalid_token');
    if (!(request.headers['content-type'] ?? '').startsWith('application/json'))
      return slackText(400, 'invalid_payload');
    const payload = parseJsonBody(request.text());
    if (!isRecord(payload)) return slackText(400, 'invalid_payload');
    const text = payload.text;
    if (text !== undefined && typeof text !== 'string') return slackText(400, 'invalid_payload');
    if ((text === undefined || text === '') && payload.blocks === undefined) return slackText(400, 'no_text');
    if (payload.blocks !== undefined && blocksProblem(payload.blocks)) return slackText(400, 'invalid_blocks');
    for (const key of ['channel', 'username', 'icon_emoji'] as const) {
      if (payload[key] !== undefined && typeof payload[key] !== 'string') return slackText(400, 'invalid_payload');
    }
    messages.push(payload as SlackMessage);
    return slackText(200, 'ok');
  };

  const vendor = await startFakeVendor({ tls: options.tls, routes: { 'POST /services/:team/:bot/:token': handle } });
  return {
    webhookUrl: `${vendor.url}/services/${team}/${bot}/${token}`,
    wrongTokenUrl: `${vendor.url}/services/${team}/${bot}/${randomBytes(12).toString('base64url')}`,
    removedUrl: `${vendor.url}/services/${team}/B00000000/${token}`,
    caPem: vendor.caPem,
    vendor,
    messages,
    faults,
    rateLimitNext(seconds) {
      faults.push(slackText(429, 'rate_limited', { 'retry-after': String(seconds) }));
    },
    close: () => vendor.close(),
  };
}
