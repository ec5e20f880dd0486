import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createVitest } from 'vitest/node';

const root = fileURLToPath(new URL('..', import.meta.url));

/** Runs one fixture file through a nested vitest with the package's config; returns each test's state by full name. */
async function runFixture(file: string): Promise<Map<string, string>> {
  const exitCodeBefore = process.exitCode;
  const vitest = await createVitest('test', {
    root,
    config: fileURLToPath(new URL('../vitest.config.ts', import.meta.url)),
    include: [file],
    watch: false,
    // A silent reporter: the nested run's failures are expected and must not read as this run's.
    reporters: [{}],
  });
  try {
    await vitest.start();
    const states = new Map<string, string>();
    for (const module of vitest.state.getTestModules()) {
      for (const test of module.children.allTests()) states.set(test.fullName, test.result().state);
    }
    return states;
  } finally {
    // The nested run's expected failures must not become this process's exit code.
    process.exitCode = exitCodeBefore;
    await vitest.close();
  }
}

describe('the issuer suite catches a broken connector', () => {
  it('fails the capability check and the revoke test when revoke is declared but not implemented', async () => {
    const states = await runFixture('test/fixtures/broken/revoke-without-method.conformance.ts');
    const find = (fragment: string) => [...states.entries()].find(([name]) => name.includes(fragment))?.[1];
    expect(find('implements every method its capabilities declare')).toBe('failed');
    expect(find('revokes an issued certificate by serial')).toBe('failed');
    // The rest of the suite still runs and passes: the broken capability does not hide other results.
    expect(find('issues for a CSR')).toBe('passed');
    // signOcsp is implemented while ocsp is not declared: the runtime would call it, which the block says.
    expect(find('ocsp (not declared) > the runtime reports no signOcsp()')).toBe('failed');
  }, 120_000);
});
