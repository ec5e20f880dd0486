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

it('enabling ACME and EST adds only protocol paths outside /api/v1, so the client generated without them misses nothing', async () => {
  const paths = (document: Record<string, unknown>) => Object.keys(document.paths as Record<string, unknown>);
  const committed = paths(JSON.parse(committedDocument));
  const withProtocols = paths(
    await exportOpenApiDocument({
      env: { CERTCTL_ACME_SERVER_ENABLED: 'true', CERTCTL_EST_ENABLED: 'true', CERTCTL_EST_ISSUER_ID: 'iss-local' },
    }),
  );
  const added = withProtocols.filter((path) => !committed.includes(path));
  expect(added).toContain('/acme/directory');
  expect(added).toContain('/.well-known/est/simpleenroll');
  expect(added.filter((path) => path.startsWith('/api/'))).toEqual([]);
  expect(committed.filter((path) => !withProtocols.includes(path))).toEqual([]);
}, 120_000);
