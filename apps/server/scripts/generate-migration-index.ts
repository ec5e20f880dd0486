import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { findMigrationFiles, renderMigrationIndex } from '../src/db/migration-index-file.js';

const src = join(import.meta.dirname, '..', 'src');
const index = join(src, 'db', 'migration-index.ts');
const files = findMigrationFiles(src);
writeFileSync(index, renderMigrationIndex(files));
execFileSync('npx', ['biome', 'format', '--write', index], { stdio: 'ignore' });
console.log(`src/db/migration-index.ts: ${files.length} migrations`);
