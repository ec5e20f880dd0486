import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { commandExists } from '@certctl/tooling/services';
import { expect, it } from 'vitest';

const tests = fileURLToPath(new URL('../../../../docs/monitoring/alerts.test.yml', import.meta.url));

it('docs/monitoring/alerts.yml: each fault alert fires while the fault lasts and resolves after it (promtool test rules)', () => {
  if (!commandExists('promtool'))
    throw new Error(
      'promtool is missing: run node tooling/services/ensure-test-services.mjs (Debian package prometheus)',
    );
  const output = execFileSync('promtool', ['test', 'rules', tests], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  expect(output).toContain('SUCCESS');
});
