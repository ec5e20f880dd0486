import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

export const CONNECTOR_DIR = /^(issuer|target|notifier|discovery)-[a-z0-9]+(-[a-z0-9]+)*$/;

/** Directories under `packagesDir` named like connector packages (issuer-*, target-*, notifier-*, discovery-*) that hold a package.json. */
export function findConnectorPackages(packagesDir) {
  if (!existsSync(packagesDir)) return [];
  return readdirSync(packagesDir, { withFileTypes: true })
    .filter(
      (e) => e.isDirectory() && CONNECTOR_DIR.test(e.name) && existsSync(join(packagesDir, e.name, 'package.json')),
    )
    .map((e) => join(packagesDir, e.name))
    .sort();
}
