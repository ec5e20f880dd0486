import { describe, expect, it } from 'vitest';
import { inlineSchemaRefs } from './json-schema-refs.js';
import { toolName, toolsFromOpenApi } from './openapi-tools.js';

/** A document in the shape the server is moving to: named component schemas referenced with $ref. */
const document = {
  openapi: '3.1.0',
  components: {
    schemas: {
      Id: { type: 'string', minLength: 1, description: 'resource id' },
      TeamInput: {
        type: 'object',
        properties: { name: { type: 'string' }, parent: { $ref: '#/components/schemas/Id' } },
        required: ['name'],
      },
      Node: {
        type: 'object',
        properties: {
          label: { type: 'string' },
          children: { type: 'array', items: { $ref: '#/components/schemas/Node' } },
        },
      },
    },
    parameters: { TeamId: { name: 'id', in: 'path', required: true, schema: { $ref: '#/components/schemas/Id' } } },
    requestBodies: {
      Team: { required: true, content: { 'application/json': { schema: { $ref: '#/components/schemas/TeamInput' } } } },
    },
  },
  paths: {
    '/api/v1/teams/{id}': {
      parameters: [{ $ref: '#/components/parameters/TeamId' }],
      get: { operationId: 'getTeam', summary: 'Get a team', 'x-certctl-role': 'viewer' },
      put: {
        operationId: 'updateTeam',
        summary: 'Update a team',
        requestBody: { $ref: '#/components/requestBodies/Team' },
      },
      delete: { operationId: 'deleteTeam', summary: 'Delete a team' },
    },
    '/api/v1/trees': {
      post: {
        operationId: 'createTree',
        summary: 'Create a tree',
        parameters: [{ name: 'dry_run', in: 'query', schema: { type: 'boolean' } }],
        requestBody: { content: { 'application/json': { schema: { $ref: '#/components/schemas/Node' } } } },
      },
    },
    '/api/v1/certificates/{id}/revoke': {
      post: {
        operationId: 'revokeCertificate',
        summary: 'Revoke',
        parameters: [{ $ref: '#/components/parameters/TeamId' }],
      },
    },
    '/api/v1/agents/{id}/work': { get: { operationId: 'agentWork', 'x-certctl-role': 'agent' } },
    '/health': { get: { operationId: 'health' } },
  },
};

describe('tools from the OpenAPI document', () => {
  it('names tools from operationIds in snake_case', () => {
    expect(toolName('bulkRevokeCertificates')).toBe('bulk_revoke_certificates');
    expect(toolName('getOpenAPIDocument')).toBe('get_open_api_document');
  });

  it('resolves $refs of parameters, request bodies and schemas, and keeps recursion in $defs', () => {
    const tools = toolsFromOpenApi(document, { readOnly: false });
    expect(tools.map((t) => t.name).sort()).toEqual([
      'create_tree',
      'delete_team',
      'get_team',
      'revoke_certificate',
      'update_team',
    ]);
    const update = tools.find((t) => t.name === 'update_team');
    expect(update?.inputSchema).toMatchObject({
      type: 'object',
      required: ['id', 'body'],
      properties: {
        id: { type: 'string', minLength: 1, description: 'resource id' },
        body: {
          type: 'object',
          required: ['name'],
          properties: { parent: { type: 'string', minLength: 1 } },
        },
      },
    });
    expect(JSON.stringify(update?.inputSchema)).not.toContain('#/components');
    const tree = tools.find((t) => t.name === 'create_tree');
    expect(tree?.parameters).toEqual([{ name: 'dry_run', in: 'query', required: false }]);
    const schema = tree?.inputSchema as unknown as {
      $defs?: Record<string, unknown>;
      properties: Record<string, unknown>;
    };
    expect(JSON.stringify(schema)).not.toContain('#/components');
    expect(schema.$defs?.Node).toMatchObject({ type: 'object' });
    expect(schema.properties.body).toMatchObject({
      properties: { children: { items: { $ref: '#/$defs/Node' } } },
    });
  });

  it('marks deletes and revocations destructive (confirm required) and keeps only GETs when read-only', () => {
    const tools = toolsFromOpenApi(document, { readOnly: false });
    const destructive = tools.filter((t) => t.destructive).map((t) => t.name);
    expect(destructive.sort()).toEqual(['delete_team', 'revoke_certificate']);
    for (const name of destructive) {
      expect(tools.find((t) => t.name === name)?.inputSchema.required).toContain('confirm');
    }
    expect(toolsFromOpenApi(document, { readOnly: true }).map((t) => t.name)).toEqual(['get_team']);
  });

  it('inlines a schema without touching enum or const values that look like references', () => {
    const inlined = inlineSchemaRefs(document, {
      type: 'object',
      properties: { kind: { enum: [{ $ref: 'not-a-schema' }] }, id: { $ref: '#/components/schemas/Id' } },
    });
    expect(inlined).toEqual({
      type: 'object',
      properties: {
        kind: { enum: [{ $ref: 'not-a-schema' }] },
        id: { type: 'string', minLength: 1, description: 'resource id' },
      },
    });
  });
});
