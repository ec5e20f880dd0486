// Lets this process import connector TypeScript sources: tsx's loader plus the resolve hooks above.
import { existsSync } from 'node:fs';
import { register } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { register as registerTsx } from 'tsx/esm/api';

let registered = false;

/**
 * @param {string} workspaceRoot the monorepo root; its packages/{connector-testkit,core} serve as fallback resolution bases
 */
export function enableTypeScriptImports(workspaceRoot) {
  if (registered) return;
  registered = true;
  registerTsx();
  const fallbackParents = ['connector-testkit', 'core', 'connector-utils', 'pki']
    .map((name) => join(workspaceRoot, 'packages', name, 'package.json'))
    .filter((path) => existsSync(path))
    .map((path) => pathToFileURL(path).href);
  register('./resolve-hooks.mjs', import.meta.url, { data: { fallbackParents } });
}
