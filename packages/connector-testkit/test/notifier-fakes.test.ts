import { describe, expect, it } from 'vitest';
import { startFakeOpsgenie, startFakePagerDuty, startFakeSlack, startFakeTeams } from '../src/index.js';

async function post(url: string, body: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, text, headers: response.headers };
}

describe('notifier vendor fakes reject what the vendor rejects', () => {
  it('Slack: ok, invalid_payload, no_text, invalid_blocks, invalid_token, no_service, 429', async () => {
    const slack = await startFakeSlack({ tls: false });
    try {
      expect(await post(slack.webhookUrl, { text: 'hi' })).toMatchObject({ status: 200, text: 'ok' });
      expect(await post(slack.webhookUrl, '{not json')).toMatchObject({ status: 400, text: 'invalid_payload' });
      expect(await post(slack.webhookUrl, { username: 'x' })).toMatchObject({ status: 400, text: 'no_text' });
      expect(
        await post(slack.webhookUrl, { text: 'x', blocks: [{ type: 'header', text: { type: 'mrkdwn', text: 'x' } }] }),
      ).toMatchObject({ status: 400, text: 'invalid_blocks' });
      expect(
        await post(slack.webhookUrl, {
          text: 'x',
          blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'y'.repeat(3001) } }],
        }),
      ).toMatchObject({ status: 400, text: 'invalid_blocks' });
      expect(await post(slack.wrongTokenUrl, { text: 'x' })).toMatchObject({ status: 403, text: 'invalid_token' });
      expect(await post(slack.removedUrl, { text: 'x' })).toMatchObject({ status: 404, text: 'no_service' });
      slack.rateLimitNext(9);
      const limited = await post(slack.webhookUrl, { text: 'x' });
      expect(limited.status).toBe(429);
      expect(limited.headers.get('retry-after')).toBe('9');
      expect(slack.messages).toEqual([{ text: 'hi' }]);
    } finally {
      await slack.close();
    }
  });

  it('PagerDuty: 202 with the dedup key, 400 invalid event listing errors, resolve closes the alert', async () => {
    const pd = await startFakePagerDuty({ tls: false });
    const url = `${pd.url}/v2/enqueue`;
    try {
      const trigger = {
        routing_key: pd.routingKey,
        event_action: 'trigger',
        dedup_key: 'k1',
        payload: { summary: 's', source: 'h', severity: 'warning' },
      };
      const ok = await post(url, trigger);
      expect(ok.status).toBe(202);
      expect(JSON.parse(ok.text)).toEqual({ status: 'success', message: 'Event processed', dedup_key: 'k1' });
      const short = JSON.parse((await post(url, { ...trigger, routing_key: 'abc' })).text);
      expect(short.status).toBe('invalid event');
      expect(short.errors).toContain("Length of 'routing_key' is incorrect (should be 32 characters)");
      expect(JSON.parse((await post(url, { ...trigger, routing_key: 'f'.repeat(32) })).text).errors).toEqual([
        'Invalid routing key',
      ]);
      const bad = await post(url, { ...trigger, payload: { summary: '', source: 'h', severity: 'high' } });
      expect(bad.status).toBe(400);
      expect(JSON.parse(bad.text).errors).toHaveLength(2);
      expect((await post(url, { routing_key: pd.routingKey, event_action: 'resolve' })).status).toBe(400);
      expect((await post(url, { routing_key: pd.routingKey, event_action: 'resolve', dedup_key: 'k1' })).status).toBe(
        202,
      );
      expect(pd.alerts.get('k1')).toBe('resolved');
      const generated = JSON.parse((await post(url, { ...trigger, dedup_key: undefined })).text);
      expect(generated.dedup_key).toMatch(/^[0-9a-f]{32}$/);
    } finally {
      await pd.close();
    }
  });

  it('OpsGenie: GenieKey auth, 422 with field errors, alias dedup, close by alias, request status', async () => {
    const og = await startFakeOpsgenie({ tls: false });
    const auth = { authorization: `GenieKey ${og.apiKey}` };
    try {
      expect((await post(`${og.url}/v2/alerts`, { message: 'm' })).status).toBe(401);
      expect(
        (await post(`${og.url}/v2/alerts`, { message: 'm' }, { authorization: `Bearer ${og.apiKey}` })).status,
      ).toBe(401);
      const invalid = await post(`${og.url}/v2/alerts`, { message: 'x'.repeat(131), priority: 'P7' }, auth);
      expect(invalid.status).toBe(422);
      expect(Object.keys(JSON.parse(invalid.text).errors).sort()).toEqual(['message', 'priority']);
      const created = await post(`${og.url}/v2/alerts`, { message: 'm', alias: 'a1' }, auth);
      expect(created.status).toBe(202);
      expect(JSON.parse(created.text).result).toBe('Request will be processed');
      await post(`${og.url}/v2/alerts`, { message: 'm again', alias: 'a1' }, auth);
      expect(og.alerts).toHaveLength(1);
      const closed = await post(`${og.url}/v2/alerts/a1/close?identifierType=alias`, { note: 'done' }, auth);
      expect(closed.status).toBe(202);
      expect(og.alerts[0]).toMatchObject({ status: 'closed', closeNote: 'done' });
      const status = await fetch(`${og.url}/v2/alerts/requests/${JSON.parse(closed.text).requestId}`, {
        headers: auth,
      });
      expect((await status.json()).data).toMatchObject({ success: true, action: 'Close', status: 'Closed alert' });
      const missing = await post(`${og.url}/v2/alerts/nope/close?identifierType=alias`, {}, auth);
      const missingStatus = await fetch(`${og.url}/v2/alerts/requests/${JSON.parse(missing.text).requestId}`, {
        headers: auth,
      });
      expect((await missingStatus.json()).data).toMatchObject({ success: false, status: 'Alert does not exist' });
    } finally {
      await og.close();
    }
  });

  it('Teams: Workflows wants an Adaptive Card and a valid sig; legacy wants summary or text and answers "1"', async () => {
    const teams = await startFakeTeams({ tls: false });
    const card = { type: 'AdaptiveCard', version: '1.4', body: [{ type: 'TextBlock', text: 'x' }] };
    const message = {
      type: 'message',
      attachments: [{ contentType: 'application/vnd.microsoft.card.adaptive', content: card }],
    };
    try {
      expect((await post(teams.workflowUrl, message)).status).toBe(202);
      expect((await post(teams.wrongSignatureUrl, message)).status).toBe(401);
      expect((await post(teams.workflowUrl, { text: 'hello' })).status).toBe(400);
      const unknownElement = {
        ...message,
        attachments: [{ ...message.attachments[0], content: { ...card, body: [{ type: 'Marquee' }] } }],
      };
      expect((await post(teams.workflowUrl, unknownElement)).status).toBe(400);
      const tooNew = { ...message, attachments: [{ ...message.attachments[0], content: { ...card, version: '1.6' } }] };
      expect((await post(teams.workflowUrl, tooNew)).status).toBe(400);
      expect(
        await post(teams.legacyUrl, {
          '@type': 'MessageCard',
          '@context': 'https://schema.org/extensions',
          summary: 's',
        }),
      ).toMatchObject({ status: 200, text: '1' });
      expect(await post(teams.legacyUrl, { '@type': 'MessageCard', title: 't' })).toMatchObject({
        status: 400,
        text: 'Summary or Text is required.',
      });
      expect(await post(teams.legacyUrl, 'nope')).toMatchObject({
        status: 400,
        text: 'Bad payload received by generic incoming webhook.',
      });
      expect(teams.posts.map((p) => p.format)).toEqual(['adaptive-card', 'message-card']);
    } finally {
      await teams.close();
    }
  });
});
