// Reads a package tarball (npm's layout: everything under package/) without unpacking it to disk.
import { execFileSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';

/**
 * @param {string} path a .tgz made by `pnpm pack` or `npm pack`
 * @returns {{ files: string[], manifest: Record<string, any>, packedBytes: number, unpackedBytes: number, data: Uint8Array }}
 */
export function readTarball(path) {
  const listing = execFileSync('tar', ['-tvzf', path], { encoding: 'utf8' });
  let unpackedBytes = 0;
  const files = [];
  for (const line of listing.split('\n')) {
    // -rw-r--r-- 0/0  1234 1985-10-26 08:15 package/dist/index.js
    const match = /^\S+\s+\S+\s+(\d+)\s+\S+\s+\S+\s+package\/(.+)$/.exec(line);
    if (!match) continue;
    unpackedBytes += Number(match[1]);
    files.push(match[2]);
  }
  const manifest = JSON.parse(execFileSync('tar', ['-xzOf', path, 'package/package.json'], { encoding: 'utf8' }));
  return {
    files,
    manifest,
    packedBytes: statSync(path).size,
    unpackedBytes,
    data: new Uint8Array(readFileSync(path)),
  };
}
