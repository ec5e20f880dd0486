import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { agentWorkAnswer, errorSchema, jobSchema, timestamp } from './index.js';

describe('the agent protocol schemas', () => {
  it('reads a work answer and refuses an item without its certificate', () => {
    const item = { job_id: 'j1', type: 'csr', certificate_id: 'c1', common_name: 'a.example', sans: ['a.example'] };
    expect(agentWorkAnswer.parse({ jobs: [item], count: 1 }).jobs[0]).toEqual(item);
    const { certificate_id: _missing, ...broken } = item;
    expect(agentWorkAnswer.safeParse({ jobs: [broken], count: 1 }).success).toBe(false);
  });

  it('publishes timestamps as plain RFC 3339 strings (the brand is for the server only)', () => {
    expect(z.toJSONSchema(timestamp)).toMatchObject({ type: 'string', description: 'RFC 3339 timestamp' });
    // Named (`.meta({ id: 'Job' })`) for the OpenAPI components: the document refers to it from $defs.
    const document = z.toJSONSchema(jobSchema, { io: 'output' }) as {
      $ref: string;
      $defs: Record<string, { properties: Record<string, { type?: unknown }> }>;
    };
    expect(document.$ref).toBe('#/$defs/Job');
    expect(document.$defs.Job?.properties.created_at?.type).toBe('string');
  });

  it('describes the error envelope every 4xx/5xx answer carries', () => {
    expect(errorSchema.parse({ error: 'not_found', message: 'no such agent', request_id: 'r1' })).toEqual({
      error: 'not_found',
      message: 'no such agent',
      request_id: 'r1',
    });
  });
});
