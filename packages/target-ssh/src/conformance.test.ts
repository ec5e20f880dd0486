import { readFileSync, statSync } from 'node:fs';
import { testTarget } from '@certctl/connector-testkit';
import manifest from './index.js';
import type { SshTargetConfigInput } from './ssh-config.js';
import { type SshHost, startSshHost } from './test-support/ssh-host.js';

let host: SshHost;

/** The deployed files as they are on the host (bytes and modes), for the suite's "nothing changed" checks. */
const snapshot = () =>
  Object.values(host.paths).map((path) => {
    try {
      return { path, bytes: readFileSync(path, 'utf8'), mode: statSync(path).mode & 0o7777 };
    } catch {
      return { path, missing: true };
    }
  });

// Against a real OpenSSH server (tooling's startSshd), logging in with a password so the suite sees a secret.
testTarget(manifest, {
  timeoutMs: 60_000,
  config: (): SshTargetConfigInput => ({
    host: host.sshd.host,
    port: host.sshd.port,
    user: host.sshd.user,
    auth_method: 'password',
    password: host.sshd.password,
    host_key_fingerprint: host.sshd.hostKeyFingerprint,
    cert_path: host.paths.cert,
    chain_path: host.paths.chain,
    key_path: host.paths.key,
    validate_command: host.validateCommand,
    reload_command: host.reloadCommand,
    timeout: 10,
  }),
  hooks: {
    beforeAll: async () => {
      host = await startSshHost();
    },
    afterAll: () => host?.stop(),
    failNextDeploy: () => host.failNextReload(),
    snapshot,
  },
  invalidConfigs: [
    {
      config: { host: 'web.example', user: 'deploy', private_key_path: '/k', cert_path: '/c.pem', key_path: '/k.pem' },
      path: 'host_key_fingerprint',
      description: 'no pinned host key',
    },
    {
      config: {
        host: 'web.example',
        user: 'deploy',
        private_key_path: '/k',
        host_key_fingerprint: 'SHA256:short',
        cert_path: '/c.pem',
        key_path: '/k.pem',
      },
      path: 'host_key_fingerprint',
      description: 'not a SHA-256 fingerprint',
    },
    {
      config: {
        host: 'web.example;rm',
        user: 'deploy',
        private_key_path: '/k',
        known_hosts_path: '/kh',
        cert_path: '/c.pem',
        key_path: '/k.pem',
      },
      path: 'host',
      description: 'shell metacharacter in host',
    },
    {
      config: {
        host: 'web.example',
        user: 'deploy',
        auth_method: 'password',
        known_hosts_path: '/kh',
        cert_path: '/c.pem',
        key_path: '/k.pem',
      },
      path: 'password',
      description: 'password auth without a password',
    },
    {
      config: {
        host: 'web.example',
        user: 'deploy',
        private_key_path: '/k',
        known_hosts_path: '/kh',
        cert_path: '/etc/ssl/../c.pem',
        key_path: '/k.pem',
      },
      path: 'cert_path',
      description: '.. in a remote path',
    },
    {
      config: {
        host: 'web.example',
        user: 'deploy',
        private_key_path: '/k',
        known_hosts_path: '/kh',
        cert_path: '/c.pem',
        key_path: '/k.pem',
        reload_command: 'systemctl reload nginx; rm -rf /',
      },
      path: 'reload_command',
      description: 'shell metacharacter in a command',
    },
  ],
});
