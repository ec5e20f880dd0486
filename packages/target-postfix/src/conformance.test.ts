import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { createTempDir, type TempDir, testTarget, type WrappedCommand, wrapCommand } from '@certctl/connector-testkit';
import manifest from './index.js';
import { startDovecot } from './test-support/dovecot-instance.js';
import { instanceDirectories, writeInitialCertificate } from './test-support/mail-fixtures.js';
import type { MailServer } from './test-support/mail-server-suite.js';
import { startPostfix } from './test-support/postfix-instance.js';

const invalidConfigs = [
  { config: { mode: 'exim' }, path: 'mode', description: 'unknown mode' },
  { config: { cert_path: 'certs/cert.pem' }, path: 'cert_path', description: 'relative certificate path' },
  {
    config: { reload_command: 'postfix reload; rm -rf /' },
    path: 'reload_command',
    description: 'shell injection in the reload command',
  },
  {
    config: { validate_command: 'postfix check $(id)' },
    path: 'validate_command',
    description: 'command substitution in the validate command',
  },
  {
    config: { key_path: '/etc/postfix/certs/cert.pem' },
    path: 'key_path',
    description: 'key written over the certificate',
  },
  { config: { command_timeout_seconds: 0 }, path: 'command_timeout_seconds', description: 'zero timeout' },
];

/** The conformance suite against a real daemon: each deploy runs the real validate and reload commands. */
function conformanceAgainst(
  mode: 'postfix' | 'dovecot',
  start: (root: string, tls: { certPath: string; keyPath: string }) => Promise<MailServer>,
) {
  let dir: TempDir;
  let server: MailServer;
  let reload: WrappedCommand;
  let certPath: string;
  let keyPath: string;
  testTarget(manifest, {
    instanceId: `conformance-${mode}`,
    timeoutMs: 30_000,
    invalidConfigs,
    config: () => ({
      mode,
      cert_path: certPath,
      key_path: keyPath,
      validate_command: server.validateCommand,
      reload_command: reload.command,
    }),
    hooks: {
      beforeAll: async () => {
        dir = await createTempDir(`certctl-conformance-${mode}-`);
        const { certs } = instanceDirectories(dir.path);
        certPath = join(certs, 'cert.pem');
        keyPath = join(certs, 'key.pem');
        await writeInitialCertificate(certPath, keyPath, `initial.${mode}.example.test`);
        server = await start(dir.path, { certPath, keyPath });
        reload = wrapCommand(dir.path, 'reload', server.reloadCommand);
      },
      afterAll: async () => {
        await server?.stop();
        await dir?.remove();
      },
      failNextDeploy: () => reload.failNext(),
      snapshot: async () => ({
        cert: await readFile(certPath, 'utf8'),
        key: await readFile(keyPath, 'utf8'),
        certMode: (await stat(certPath)).mode,
        keyMode: (await stat(keyPath)).mode,
      }),
    },
  });
}

conformanceAgainst('postfix', startPostfix);
conformanceAgainst('dovecot', startDovecot);
