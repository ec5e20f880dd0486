import { ConfigValidationError, ConnectorError } from '@certctl/core';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { ZodError } from 'zod';
import { ServiceError } from '../shared/service-errors.js';

export interface ErrorBody {
  error: string;
  message: string;
  request_id: string;
  details?: unknown;
}

export function sendError(
  reply: FastifyReply,
  status: number,
  error: string,
  message: string,
  details?: unknown,
): FastifyReply {
  const body: ErrorBody = {
    error,
    message,
    request_id: String(reply.request.id),
    ...(details !== undefined && { details }),
  };
  return reply.code(status).type('application/json; charset=utf-8').send(body);
}

function zodDetails(error: ZodError) {
  return error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
}

const FASTIFY_CODES: Record<string, [number, string]> = {
  FST_ERR_CTP_BODY_TOO_LARGE: [413, 'payload_too_large'],
  FST_ERR_CTP_INVALID_MEDIA_TYPE: [415, 'unsupported_media_type'],
  FST_ERR_CTP_EMPTY_JSON_BODY: [400, 'invalid_json'],
  FST_ERR_CTP_INVALID_JSON_BODY: [400, 'invalid_json'],
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: [400, 'bad_request'],
};

/** Every error leaves as `{error, message, request_id}`; internals are logged, never sent. */
export function handleError(error: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  if (error instanceof ServiceError) return sendError(reply, error.status, error.code, error.message, error.details);
  if (error instanceof ZodError)
    return sendError(
      reply,
      400,
      'validation_failed',
      `invalid request: ${zodDetails(error)
        .map((d) => `${d.path || '(body)'}: ${d.message}`)
        .join('; ')}`,
      zodDetails(error),
    );
  const fastifyError = error as FastifyError;
  const known = fastifyError?.code ? FASTIFY_CODES[fastifyError.code] : undefined;
  if (known) return sendError(reply, known[0], known[1], fastifyError.message);
  if (fastifyError instanceof SyntaxError || fastifyError?.statusCode === 400)
    return sendError(reply, 400, 'bad_request', 'the request body is not valid JSON');
  if (ConfigValidationError.isInstance(error))
    return sendError(reply, 400, 'invalid_config', error.message, error.issues);
  if (ConnectorError.isInstance(error)) {
    request.log.warn({ err: { message: error.message, code: error.code } }, 'connector call failed');
    return sendError(reply, 502, error.code, error.message);
  }
  if (typeof fastifyError?.statusCode === 'number' && fastifyError.statusCode < 500) {
    return sendError(reply, fastifyError.statusCode, 'bad_request', fastifyError.message);
  }
  request.log.error({ err: error }, 'unhandled error');
  return sendError(reply, 500, 'internal_error', 'internal error; the request id identifies it in the server log');
}
