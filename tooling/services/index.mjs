// What tests import: `import { ensurePostgres } from '@certctl/tooling/services'`.
export { ensurePostgres, startPrivatePostgres, stopPostgres } from './postgres.mjs';
export { aptInstall, commandExists, isPortOpen, serviceDir, startDetached, stopByPid, waitForPort } from './lib.mjs';
export { freePort, startPebble } from './pebble.mjs';
export { startSshd } from './sshd.mjs';
export { startHaproxyTls, startNginxTls, startPostfixTls } from './tls-servers.mjs';
