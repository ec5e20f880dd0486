import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { type BrowserContext, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderDigestHtml } from './digest-html.js';
import { startTestServer, type TestServer } from '../../testing/test-server.js';

const CHROMIUM = '/usr/bin/chromium';
const OUTPUT = resolve(import.meta.dirname, '../../../test-output');
const DAY = 86_400_000;

type Box = { x: number; y: number; width: number; height: number };
const overlaps = (a: Box, b: Box) =>
  a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;

/** A digest with every section full and the inventory at its most awkward: long names, many rows. */
function busyDigest(now: Date): string {
  const cert = (i: number) => ({
    name: `payments-gateway-${i}-${'x'.repeat(i % 3 === 0 ? 60 : 4)}`,
    commonName: `api-${i}.payments.internal.example.com`,
    owner: `owner${i}@example.com`,
    team: `team-${i % 4}`,
  });
  return renderDigestHtml({
    generatedAt: now,
    windowDays: 30,
    totals: { certificates: 240, expiringSoon: 12, expired: 3, failures: 2, agentsOffline: 1 },
    expiring: Array.from({ length: 12 }, (_, i) => ({
      ...cert(i),
      expiresAt: new Date(now.getTime() + (i * 2 + 1) * DAY),
      daysLeft: i * 2 + 1,
    })),
    expired: Array.from({ length: 3 }, (_, i) => ({
      ...cert(100 + i),
      expiresAt: new Date(now.getTime() - (i + 1) * DAY),
    })),
    failures: [
      {
        certificate: 'payments-gateway-1',
        kind: 'renewal job failed',
        error: `[certctl] [issuer-acme] order 1234 rejected (403): ${'the account is not authorised for this identifier '.repeat(4)}`,
        at: now,
      },
      {
        certificate: 'mc-0123',
        kind: 'pagerduty expiring alert dead-lettered',
        error: 'gave up after 5 attempt(s): 500',
        at: now,
      },
    ],
    agentsOffline: [
      { name: 'edge-proxy-1', hostname: 'proxy1.dc2.internal', lastHeartbeatAt: new Date(now.getTime() - 3_600_000) },
    ],
  });
}

/**
 * The digest in a real browser (Debian's chromium through playwright-core): sections visible, in
 * order, not overlapping, no horizontal overflow on a desktop or a phone, no request leaving the
 * page. Screenshots go to apps/server/test-output/ (not committed) for a human look.
 */
describe('the digest rendered by headless Chromium', () => {
  let browser: BrowserContext;
  let profile: string;
  let pglite: PGlite;
  let server: TestServer;
  beforeAll(async () => {
    mkdirSync(OUTPUT, { recursive: true });
    profile = mkdtempSync(join(tmpdir(), 'certctl-chromium-'));
    browser = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    });
    pglite = await PGlite.create('memory://');
    server = await startTestServer({ database: { pglite } });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    await pglite?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
  });

  for (const viewport of [
    { name: 'desktop', width: 1280, height: 900 },
    { name: 'phone', width: 390, height: 844 },
  ]) {
    it(`lays the ${viewport.name} digest out cleanly`, async () => {
      const page = await browser.newPage();
      const requests: string[] = [];
      page.on('request', (request) => requests.push(request.url()));
      await page.setViewportSize({ width: viewport.width, height: viewport.height });
      await page.setContent(busyDigest(new Date('2026-11-23T12:00:00Z')), { waitUntil: 'load' });
      expect(requests.filter((url) => !url.startsWith('about:') && !url.startsWith('data:'))).toEqual([]);

      const sections = ['#stats', '#expiring', '#expired', '#failures', '#agents'];
      const boxes: Box[] = [];
      for (const selector of sections) {
        const element = page.locator(selector);
        expect(await element.isVisible(), selector).toBe(true);
        const box = (await element.boundingBox())!;
        expect(box.width, selector).toBeGreaterThan(viewport.width * 0.5);
        expect(box.height, selector).toBeGreaterThan(20);
        boxes.push(box);
      }
      for (let i = 1; i < boxes.length; i++) {
        expect(boxes[i]!.y, `${sections[i]} below ${sections[i - 1]}`).toBeGreaterThanOrEqual(
          boxes[i - 1]!.y + boxes[i - 1]!.height,
        );
      }
      const stats = await page
        .locator('td.stat')
        .evaluateAll((cells) => cells.map((c) => c.getBoundingClientRect().toJSON() as Box));
      expect(stats).toHaveLength(5);
      for (let i = 0; i < stats.length; i++)
        for (let j = i + 1; j < stats.length; j++)
          expect(overlaps(stats[i]!, stats[j]!), `stat ${i} vs ${j}`).toBe(false);
      expect(await page.locator('#expiring tbody tr').count()).toBe(12);
      const cells = await page
        .locator('#expiring tbody tr:first-child td')
        .evaluateAll((tds) => tds.map((c) => c.getBoundingClientRect().toJSON() as Box));
      for (let i = 1; i < cells.length; i++) expect(overlaps(cells[i - 1]!, cells[i]!), `cell ${i}`).toBe(false);
      const overflow = await page.evaluate(
        () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
      );
      expect(overflow).toBeLessThanOrEqual(0);

      const png = await page.screenshot({ fullPage: true });
      expect(png.subarray(1, 4).toString('latin1')).toBe('PNG');
      expect(png.length).toBeGreaterThan(20_000);
      const file = join(OUTPUT, `digest-${viewport.name}.png`);
      writeFileSync(file, png);
      expect(statSync(file).size).toBe(png.length);
      await page.close();
    }, 60_000);
  }

  it("renders the server's own preview endpoint without errors", async () => {
    const preview = await server.api.inject({
      method: 'GET',
      url: '/api/v1/digest/preview',
      headers: { authorization: 'Bearer admin-key-0123456789abcdef' },
    });
    expect(preview.statusCode).toBe(200);
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await page.setContent(preview.body, { waitUntil: 'load' });
    expect(await page.locator('h1').textContent()).toBe('Certificate digest');
    expect(await page.locator('#expiring td').first().textContent()).toBe('Nothing expires in this window.');
    expect(errors).toEqual([]);
    await page.close();
  }, 60_000);
});
