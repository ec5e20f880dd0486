import { writeFileSync } from 'node:fs';
import { exportOpenApiDocument } from '../src/openapi-export.js';

// Usage: tsx scripts/export-openapi.ts [out.json]; without a path the document goes to stdout.
const document = `${JSON.stringify(await exportOpenApiDocument(), null, 2)}\n`;
const out = process.argv[2];
if (out) writeFileSync(out, document);
else process.stdout.write(document);
