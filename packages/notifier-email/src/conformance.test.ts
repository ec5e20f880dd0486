import { testNotifier } from '@certctl/connector-testkit';
import manifest from './index.js';
import { type SmtpTestServer, startSmtpTestServer } from './test-support/smtp-test-server.js';

let smtp: SmtpTestServer | undefined;

testNotifier(manifest, {
  config: () => ({
    smtp_host: smtp!.host,
    smtp_port: smtp!.port,
    username: 'certctl',
    password: 'conformance-password',
    from_address: 'certctl@example.test',
    to_addresses: ['pki-team@example.test'],
    ca_pem: smtp!.caPem,
  }),
  invalidConfigs: [
    {
      config: { smtp_host: 'mail.example.test', from_address: 'not-an-address' },
      path: 'from_address',
      description: 'a from address that is not one',
    },
    {
      config: { smtp_host: 'mail.example.test', from_address: 'a@example.test', username: 'u' },
      path: 'password',
      description: 'a username without a password',
    },
    {
      config: { smtp_host: 'mail.example.test', from_address: 'a@example.test', smtp_port: 70000 },
      path: 'smtp_port',
      description: 'a port out of range',
    },
  ],
  timeoutMs: 20_000,
  hooks: {
    beforeAll: async () => {
      smtp = await startSmtpTestServer({ tls: 'starttls', user: 'certctl', password: 'conformance-password' });
    },
    afterAll: () => smtp?.close(),
    received: () =>
      smtp!.mails.map((m) => ({
        subject: m.parsed.subject,
        dedupKey: m.parsed.headers.get('x-certctl-dedup-key') as string,
      })),
    failNextSend: () => smtp!.failNextData(451),
  },
});
