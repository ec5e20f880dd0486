import { createConfig, lintFromString } from '@redocly/openapi-core';

/** Redocly's lint (the engine of `redocly lint`) with its strict recommended rules: each problem as `rule pointer: message`. */
export async function lintOpenApiDocument(document: unknown): Promise<string[]> {
  const config = await createConfig({ extends: ['recommended-strict'] });
  const problems = await lintFromString({
    source: JSON.stringify(document),
    absoluteRef: 'openapi.json',
    config,
  });
  return problems.map((problem) => `${problem.ruleId} ${problem.location[0]?.pointer ?? ''}: ${problem.message}`);
}
