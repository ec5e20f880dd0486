import { readFileSync, writeFileSync } from 'node:fs';
import { exportOpenApiDocument } from '@certctl/server';
import { renderDocument, renderTypes } from './render-types.js';

// `generate`: export the server's document (no listener needed) and render its types.
// `generate --types-only`: render the types of the committed openapi.json.
const root = new URL('../', import.meta.url);
const documentFile = new URL('openapi.json', root);
const typesFile = new URL('src/generated/openapi.ts', root);

if (!process.argv.includes('--types-only')) writeFileSync(documentFile, renderDocument(await exportOpenApiDocument()));
const document = JSON.parse(readFileSync(documentFile, 'utf8')) as Record<string, unknown>;
writeFileSync(typesFile, await renderTypes(document));
console.log(`wrote ${documentFile.pathname} and ${typesFile.pathname}`);
