import { agentHttp01Answer, agentHttp01ReportBody } from '@certctl/wire';
import { z } from 'zod';
import { type AnyRouteSpec, defineRoute } from '../../http/route-spec.js';
import { resourceId } from '../../http/schemas/common.js';
import type { ServiceDeps } from '../../shared/service-deps.js';
import { activeAgent, assertAgentSelf } from '../agents/agents.js';
import { reportAgentHttp01 } from './agent-http01.js';

export function agentHttp01Routes(deps: ServiceDeps): AnyRouteSpec[] {
  return [
    defineRoute({
      method: 'POST',
      path: '/api/v1/agents/{id}/http01/{challenge_id}',
      operationId: 'agentReportHttp01',
      summary: "Say an ACME order's HTTP-01 tokens are served from the agent's webroot, or why they cannot be",
      tags: ['agent protocol'],
      access: 'agent',
      params: z.object({ id: resourceId, challenge_id: resourceId }),
      body: agentHttp01ReportBody,
      responses: { 200: { description: 'Challenge', schema: agentHttp01Answer } },
      handler: async ({ actor, params, body }) => {
        assertAgentSelf(actor, params.id);
        await activeAgent(deps, params.id);
        return reportAgentHttp01(deps, actor, params.id, params.challenge_id, body);
      },
    }),
  ];
}
