/**
 * Before a script runs: it must be an executable regular file that only its owner can change, in a
 * directory only its owner can change, owned by root or by the user certctl runs as. A script another
 * user could swap (in /tmp, group-writable) would run with certctl's rights.
 */
import { constants } from 'node:fs';
import { access, realpath, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { ConfigValidationError } from '@certctl/core';
import { CONNECTOR } from './connector-name.js';

export async function checkScriptFile(path: string, field: string): Promise<string> {
  const refuse = (message: string): never => {
    throw new ConfigValidationError({ connector: CONNECTOR, issues: [{ path: field, message }] });
  };
  let real: string;
  try {
    real = await realpath(path);
  } catch (cause) {
    return refuse(`${path} cannot be resolved (${(cause as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  const allowedOwners = new Set([0, process.getuid?.() ?? 0]);
  const file = await stat(real);
  if (!file.isFile()) refuse(`${path} is not a regular file`);
  if (file.mode & 0o022) refuse(`${path} is writable by group or others; make it 0755 (or stricter) and owned by root`);
  if (!allowedOwners.has(file.uid))
    refuse(`${path} is owned by uid ${file.uid}; it must belong to root or to the user certctl runs as`);
  try {
    await access(real, constants.X_OK);
  } catch {
    refuse(`${path} is not executable`);
  }
  // The configured path's directory too: a symlink there could be re-pointed.
  for (const dirPath of new Set([dirname(real), dirname(path)])) {
    const dir = await stat(dirPath);
    if (dir.mode & 0o022) {
      refuse(
        `${dirPath} is writable by group or others, so the script could be replaced; move it to a root-owned directory`,
      );
    }
    if (!allowedOwners.has(dir.uid)) {
      refuse(`${dirPath} is owned by uid ${dir.uid}; it must belong to root or to the user certctl runs as`);
    }
  }
  return real;
}
