import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, extname, join } from 'node:path';
import { gzipSync } from 'node:zlib';

/** One file of the built dashboard, held in memory (the whole build is a few hundred kilobytes). */
export interface WebFile {
  body: Buffer;
  /** The gzip form, for files worth compressing (scripts, styles, SVG, HTML). */
  gzip?: Buffer;
  contentType: string;
}

/** The built dashboard: index.html, the hashed files under assets/, and the few files at the top (favicon). */
export interface WebBundle {
  dir: string;
  index: WebFile;
  /** By file name under `assets/` (hashed names: cached for a year). */
  assets: ReadonlyMap<string, WebFile>;
  /** By file name at the top of the build (favicon.svg): cached briefly. */
  top: ReadonlyMap<string, WebFile>;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.json': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
};
const COMPRESSED = new Set(['.html', '.js', '.mjs', '.css', '.svg', '.json', '.txt']);

/** Where the built dashboard is: the configured folder, else the installed `@certctl/web` package's `dist`. */
export function locateWebDist(configured: string | undefined): string | undefined {
  if (configured) return configured;
  try {
    const manifest = createRequire(import.meta.url).resolve('@certctl/web/package.json');
    return join(dirname(manifest), 'dist');
  } catch {
    return undefined;
  }
}

function readFile(path: string): WebFile {
  const body = readFileSync(path);
  const extension = extname(path).toLowerCase();
  const compress = COMPRESSED.has(extension) && body.length > 512;
  return {
    body,
    contentType: TYPES[extension] ?? 'application/octet-stream',
    ...(compress && { gzip: gzipSync(body, { level: 9 }) }),
  };
}

function filesOf(dir: string): Map<string, WebFile> {
  const files = new Map<string, WebFile>();
  if (!existsSync(dir)) return files;
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isFile()) files.set(name, readFile(path));
  }
  return files;
}

/** Reads a build into memory; undefined when the folder holds no index.html (the dashboard was not built). */
export function loadWebBundle(dir: string | undefined): WebBundle | undefined {
  if (!dir || !existsSync(join(dir, 'index.html'))) return undefined;
  const top = filesOf(dir);
  top.delete('index.html');
  return { dir, index: readFile(join(dir, 'index.html')), assets: filesOf(join(dir, 'assets')), top };
}
