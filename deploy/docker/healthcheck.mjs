// Container health probe: `node healthcheck.mjs server` asks the server's own /health over HTTPS on
// loopback; `node healthcheck.mjs agent` checks that the agent has registered (its identity file,
// written 0600 in CERTCTL_AGENT_STATE_DIR, exists): the agent never listens, so there is no port to ask.
// Exit 0 healthy, 1 not. The server's certificate is not verified: the probe talks to itself on
// 127.0.0.1, sends nothing secret, and must keep working when an operator brings their own cert.
import { statSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';

const role = process.argv[2] ?? 'server';

if (role === 'server') {
  const port = Number(process.env.CERTCTL_SERVER_PORT ?? 8443);
  const req = request(
    { host: '127.0.0.1', port, path: '/health', method: 'GET', rejectUnauthorized: false, timeout: 4000 },
    (res) => {
      res.resume();
      process.exit(res.statusCode === 200 ? 0 : 1);
    },
  );
  req.on('timeout', () => req.destroy(new Error('timeout')));
  req.on('error', (error) => {
    console.error(`certctl health: ${error.message}`);
    process.exit(1);
  });
  req.end();
} else if (role === 'agent') {
  const stateDir = process.env.CERTCTL_AGENT_STATE_DIR ?? '/var/lib/certctl-agent';
  try {
    statSync(join(stateDir, 'identity.json'));
    process.exit(0);
  } catch (error) {
    console.error(`certctl health: ${error.message}`);
    process.exit(1);
  }
} else {
  console.error('usage: healthcheck.mjs server|agent');
  process.exit(2);
}
