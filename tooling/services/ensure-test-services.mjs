#!/usr/bin/env node
// Makes sure what the test suite needs from the machine is there before vitest starts, so that no
// two test files race on apt: Debian packages for the CLIs and servers tests drive, then the
// long-lived services (PostgreSQL). Idempotent and quick when everything is present.
import { execFileSync } from 'node:child_process';
import { aptInstall, commandExists } from './lib.mjs';
import { ensurePostgres } from './postgres.mjs';

/** command on PATH (or absolute path) → Debian package that provides it. */
export const REQUIRED_COMMANDS = {
  openssl: 'openssl',
  psql: 'postgresql-client',
  pebble: 'pebble',
  'pebble-challtestsrv': 'pebble',
  '/usr/sbin/nginx': 'nginx',
  '/usr/sbin/postfix': 'postfix',
  '/usr/sbin/dovecot': 'dovecot-imapd',
  caddy: 'caddy',
  chromium: 'chromium',
  // ACME server interop: real clients, a local authoritative DNS server, Apache mod_md.
  certbot: 'certbot',
  lego: 'lego',
  uacme: 'uacme',
  unshare: 'util-linux',
  '/usr/sbin/named': 'bind9',
  nsupdate: 'bind9-dnsutils',
  dig: 'bind9-dnsutils',
  '/usr/sbin/apache2': 'apache2',
  curl: 'curl',
  pki: 'strongswan-pki',
  // pki's HTTP(S) fetcher for --est/--estca lives in the curl plugin.
  '/usr/lib/ipsec/plugins/libstrongswan-curl.so': 'libstrongswan-extra-plugins',
  // ...and its ECDSA certificates (the EST TLS CA) need the openssl plugin.
  '/usr/lib/ipsec/plugins/libstrongswan-openssl.so': 'libstrongswan-standard-plugins',
  scepclient: 'scep',
  getcert: 'certmonger',
  '/usr/sbin/certmonger': 'certmonger',
  'dbus-daemon': 'dbus',
  '/usr/sbin/haproxy': 'haproxy',
  // Second implementations for PKI artifacts, and the remote targets' real counterparts.
  certtool: 'gnutls-bin',
  '/usr/sbin/sshd': 'openssh-server',
  // startSshd: keys, the tests' own SFTP reads and the ssh-agent auth test.
  'ssh-keygen': 'openssh-client',
  sftp: 'openssh-client',
  'ssh-agent': 'openssh-client',
  kubectl: 'kubernetes-client',
  keytool: 'default-jdk-headless',
  // deploy/: the compose file's validation, the systemd units' check, the image user switch.
  'docker-compose': 'docker-compose',
  'systemd-analyze': 'systemd',
  setpriv: 'util-linux',
  // docs/monitoring/alerts.yml: `promtool test rules` shows each fault's alert firing and resolving.
  promtool: 'prometheus',
};

const missing = Object.entries(REQUIRED_COMMANDS)
  .filter(([command]) => !commandExists(command))
  .map(([, pkg]) => pkg);
// Postfix asks which kind of mail system to set up; the tests run their own instances, so: none.
if (missing.includes('postfix')) {
  execFileSync('debconf-set-selections', { input: 'postfix postfix/main_mailer_type select No configuration\n' });
}
if (missing.length > 0) aptInstall([...new Set(missing)], { because: 'the test suite' });

const url = await ensurePostgres();
console.log(`test services ready: PostgreSQL at ${url.replace(/\/\/[^@]*@/, '//')}`);
