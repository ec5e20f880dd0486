import { ConnectorError, type ConnectorManifest, type Notification } from '@certctl/core';
import { describe, expect, it } from 'vitest';
import { capabilitySuite, conformanceSuite, testConnectionSuite, titled } from './common-suites.js';
import { ConformanceHarness, type ConformanceOptions } from './conformance-harness.js';
import { describeError } from './findings.js';

/** What the fake channel received, mapped by the connector author to these fields (leave out what the channel cannot carry). */
export interface ReceivedNotification {
  /** `send` for a notification, `resolve` for a closed incident; default `send`. */
  action?: 'send' | 'resolve';
  subject?: string;
  dedupKey?: string;
  text?: string;
}

export interface NotifierConformanceOptions<Config = unknown> extends ConformanceOptions<Config> {
  /** Fields merged into the notifications the suite sends (e.g. `recipients` for email). */
  notification?: Partial<Omit<Notification, 'dedupKey'>>;
  hooks?: ConformanceOptions['hooks'] & {
    /** Everything the fake channel received so far, oldest first. Enables the delivery checks. */
    received?: () => readonly ReceivedNotification[] | Promise<readonly ReceivedNotification[]>;
    /** Makes the fake channel reject the next send (e.g. answer 500 or 401). Enables the typed-error check. */
    failNextSend?: () => unknown | Promise<unknown>;
  };
}

let sequence = 0;

/** A realistic notification with a unique dedup key. */
export function testNotification(overrides: Partial<Notification> = {}): Notification {
  sequence++;
  const now = new Date();
  return {
    event: 'expiring',
    severity: 'warning',
    subject: `[certctl] conformance.example.test expires in 7 days (#${sequence})`,
    text: `The certificate conformance.example.test expires on ${new Date(now.getTime() + 7 * 86_400_000).toISOString()}.`,
    certificate: {
      id: 'cert-conformance',
      name: 'conformance',
      commonName: 'conformance.example.test',
      sans: ['conformance.example.test'],
      serial: '1a2b3c',
      notAfter: new Date(now.getTime() + 7 * 86_400_000),
      daysRemaining: 7,
    },
    dedupKey: `certctl-conformance-${process.pid}-${sequence}`,
    occurredAt: now,
    ...overrides,
  };
}

/** The notifier conformance suite: send, delivery of subject and dedup key, html, resolve, typed errors, testConnection. */
export function testNotifier<Config>(
  manifest: ConnectorManifest<'notifier'>,
  options: NotifierConformanceOptions<Config>,
): void {
  const caps = manifest.capabilities;
  const timeout = options.timeoutMs;
  const harness = new ConformanceHarness(manifest, options as ConformanceOptions);
  const received = options.hooks?.received;
  const failNextSend = options.hooks?.failNextSend;
  const make = (overrides: Partial<Notification> = {}) => testNotification({ ...options.notification, ...overrides });

  conformanceSuite('notifier', harness, options.hooks, timeout, () => {
    describe('send', () => {
      it(
        'sends a notification and returns a detail',
        async () => {
          const result = await (await harness.runtime()).send(make());
          expect(
            typeof result.detail === 'string' && result.detail.length > 0,
            'send must return a detail for the job log',
          ).toBe(true);
        },
        timeout,
      );
      it(
        'sends every event type and severity',
        async () => {
          const runtime = await harness.runtime();
          await runtime.send(make({ event: 'renewal_failed', severity: 'critical' }));
          await runtime.send(make({ event: 'test', severity: 'informational', certificate: undefined }));
        },
        timeout,
      );
      it.skipIf(!received)(
        titled('delivers the subject and the dedup key to the channel', !received, 'no hooks.received given'),
        async () => {
          const notification = make();
          await (await harness.runtime()).send(notification);
          const all = await received!();
          const sends = all.filter((r) => (r.action ?? 'send') === 'send');
          expect(sends.length, 'the fake received nothing').toBeGreaterThan(0);
          expect(
            sends.some((r) => r.subject !== undefined || r.dedupKey !== undefined),
            'hooks.received must map at least subject or dedupKey',
          ).toBe(true);
          const match = sends.find((r) => r.subject === notification.subject || r.dedupKey === notification.dedupKey);
          expect(
            match,
            `no received notification carries subject "${notification.subject}" or dedup key "${notification.dedupKey}"`,
          ).toBeDefined();
          if (match!.subject !== undefined) expect(match!.subject).toBe(notification.subject);
          if (match!.dedupKey !== undefined) expect(match!.dedupKey).toBe(notification.dedupKey);
        },
        timeout,
      );
    });

    // Not a method of its own: digests and alerts carry html to every notifier, so a text-only
    // channel must accept it too (and send the text).
    describe(caps.html ? 'html' : 'html (not declared)', () => {
      it(
        caps.html
          ? 'sends a notification with an html body'
          : 'accepts a notification that carries an html body and still delivers it',
        async () => {
          const notification = make({
            html: '<p>The certificate <b>conformance.example.test</b> expires in 7 days.</p>',
          });
          await (await harness.runtime()).send(notification);
          if (!received) return;
          const all = await received();
          expect(
            all.some((r) => r.subject === notification.subject || r.dedupKey === notification.dedupKey),
            'the channel did not receive the notification that carried html',
          ).toBe(true);
        },
        timeout,
      );
    });

    capabilitySuite(
      harness,
      'resolve',
      timeout,
    )(() => {
      it(
        'resolves the incident opened under a dedup key',
        async () => {
          const runtime = await harness.runtime();
          const notification = make({ event: 'renewal_failed', severity: 'critical' });
          await runtime.send(notification);
          await runtime.resolve(notification.dedupKey);
          if (!received) return;
          const all = await received();
          if (all.some((r) => r.action !== undefined)) {
            expect(
              all.some(
                (r) => r.action === 'resolve' && (r.dedupKey === undefined || r.dedupKey === notification.dedupKey),
              ),
              'the channel received no resolve for the dedup key',
            ).toBe(true);
          }
        },
        timeout,
      );
    });

    describe.skipIf(!failNextSend)(titled('errors', !failNextSend, 'no hooks.failNextSend given'), () => {
      it(
        'fails with a typed ConnectorError when the channel rejects the message',
        async () => {
          const instance = await harness.instance();
          await failNextSend!();
          const error = await instance.send(make()).then(
            () => undefined,
            (e: unknown) => e ?? new Error('rejected with nothing'),
          );
          expect(error, 'send succeeded although hooks.failNextSend was armed').toBeDefined();
          expect(ConnectorError.isInstance(error), `expected a ConnectorError, got ${describeError(error)}`).toBe(true);
        },
        timeout,
      );
    });

    testConnectionSuite(harness, timeout);
  });
}
