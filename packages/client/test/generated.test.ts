import { readFileSync } from 'node:fs';
import { exportOpenApiDocument } from '@certctl/server';
import { expect, it } from 'vitest';
import { renderDocument, renderTypes } from '../scripts/render-types.js';

const committedDocument = readFileSync(new URL('../openapi.json', import.meta.url), 'utf8');
const committedTypes = readFileSync(new URL('../src/generated/openapi.ts', import.meta.url), 'utf8');

it("the committed openapi.json is the server's document: regenerating changes nothing", async () => {
  const exported = await exportOpenApiDocument();
  expect(renderDocument(exported)).toBe(committedDocument);
}, 120_000);

it('the committed types are what openapi-typescript renders from openapi.json', async () => {
  expect(await renderTypes(JSON.parse(committedDocument))).toBe(committedTypes);
  // Named schemas become named types, not inline shapes.
  expect(committedTypes).toMatch(/\n {8}Certificate: \{/);
  expect(committedTypes).toContain('components["schemas"]["Certificate"]');
});
