// Installs one package from its tarball into an empty project, outside the monorepo, with nothing
// hoisted, then imports it, type-checks an import of it and, for a connector, loads its manifest.
import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * @param {{
 *   name: string, tarball: string, tarballs: Map<string, string>, connector?: { kind: string, id: string },
 *   projectDir: string, pnpm: string[], tsc: string, typesNodeRange: string,
 * }} options
 * @returns {Promise<string[]>} problems
 */
export async function installAlone(options) {
  const { name, projectDir, connector } = options;
  mkdirSync(projectDir, { recursive: true });
  const fileSpec = (pkg) => `file:${options.tarballs.get(pkg)}`;
  const dependencies = { [name]: `file:${options.tarball}`, '@types/node': options.typesNodeRange };
  if (connector && options.tarballs.has('@certctl/core')) dependencies['@certctl/core'] = fileSpec('@certctl/core');
  const overrides = Object.fromEntries([...options.tarballs.keys()].map((pkg) => [pkg, fileSpec(pkg)]));
  writeFileSync(
    join(projectDir, 'package.json'),
    JSON.stringify(
      { name: 'release-check-project', private: true, type: 'module', dependencies, pnpm: { overrides } },
      null,
      2,
    ),
  );
  // No hoisting at all: a package that imports what it does not declare fails here, as it would for users.
  writeFileSync(join(projectDir, '.npmrc'), 'hoist=false\npublic-hoist-pattern[]=\nauto-install-peers=true\n');
  const problems = [];
  const step = async (what, command, args) => {
    try {
      await run(command, args, { cwd: projectDir, maxBuffer: 16 * 1024 * 1024, env: { ...process.env, CI: 'true' } });
      return true;
    } catch (error) {
      const output = `${error.stdout ?? ''}${error.stderr ?? ''}`.trim().split('\n').slice(-15).join('\n');
      problems.push(`${what} failed:\n${output || error.message}`);
      return false;
    }
  };
  const [pnpmCommand, ...pnpmArgs] = options.pnpm;
  if (
    !(await step('install', pnpmCommand, [
      ...pnpmArgs,
      'install',
      '--prefer-offline',
      '--ignore-scripts',
      '--reporter=append-only',
    ]))
  )
    return problems;

  writeFileSync(join(projectDir, 'import-check.mjs'), importCheck(name, connector));
  await step('import as ESM', process.execPath, ['import-check.mjs']);

  writeFileSync(
    join(projectDir, 'types-check.ts'),
    `import * as imported from '${name}';\nexport const probe: typeof imported = imported;\n`,
  );
  writeFileSync(
    join(projectDir, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        strict: true,
        skipLibCheck: false,
        noEmit: true,
        target: 'es2022',
        module: 'nodenext',
        moduleResolution: 'nodenext',
        types: ['node'],
        // @peculiar/x509's declarations (reached through @certctl/pki) name WebCrypto types that only
        // the DOM lib declares; a consumer needs it too (said in @certctl/pki's README).
        lib: ['es2023', 'dom'],
      },
      files: ['types-check.ts'],
    }),
  );
  await step('type-check an import (strict, skipLibCheck false)', process.execPath, [
    options.tsc,
    '-p',
    'tsconfig.json',
  ]);
  return problems;
}

function importCheck(name, connector) {
  const lines = [
    `const imported = await import(${JSON.stringify(name)});`,
    `if (Object.keys(imported).length === 0) throw new Error('the package exports nothing');`,
  ];
  if (connector) {
    lines.push(
      `const core = await import('@certctl/core');`,
      `const manifest = imported.default;`,
      `const registry = core.createRegistry({ createContext: () => { throw new Error('not started'); } });`,
      `const entry = registry.register(manifest, { packageName: ${JSON.stringify(name)} });`,
      `const want = ${JSON.stringify(connector)};`,
      `if (entry.status !== undefined && entry.status !== 'available') throw new Error('registry marked it ' + entry.status);`,
      `if (manifest.kind !== want.kind || manifest.id !== want.id) throw new Error('manifest is ' + manifest.kind + '/' + manifest.id + ', package says ' + want.kind + '/' + want.id);`,
      `if (manifest.specificationVersion !== 'v1') throw new Error('specificationVersion is ' + manifest.specificationVersion);`,
      `const schema = core.configJsonSchema(manifest.configSchema);`,
      `if (!schema || schema.type !== 'object') throw new Error('config JSON Schema is not an object schema: ' + JSON.stringify(schema).slice(0, 200));`,
    );
  }
  return `${lines.join('\n')}\n`;
}
