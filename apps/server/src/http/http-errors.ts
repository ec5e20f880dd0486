import { ConfigValidationError, ConnectorError } from '@certctl/core';
import type { Duplex } from 'node:stream';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { ZodError } from 'zod';
import { isDatabaseUnavailable } from '../db/connection-errors.js';
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
  FST_ERR_BAD_URL: [400, 'bad_request'],
  FST_ERR_ASYNC_CONSTRAINT: [400, 'bad_request'],
};

/** Seconds a client is asked to wait when the database is unreachable (a restart or failover takes about this). */
export const DATABASE_RETRY_AFTER_SECONDS = 5;

/** Every error leaves as `{error, message, request_id}`; internals are logged, never sent. */
export function handleError(
  error: unknown,
  request: FastifyRequest,
  reply: FastifyReply,
  onDatabaseUnavailable?: () => void,
): FastifyReply {
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
  if (isDatabaseUnavailable(error)) {
    // Temporary, not a bug: the client retries once the database is back (a restart, a failover).
    onDatabaseUnavailable?.();
    request.log.warn({ err: { message: (error as Error).message } }, 'database unavailable');
    reply.header('retry-after', String(DATABASE_RETRY_AFTER_SECONDS));
    return sendError(reply, 503, 'database_unavailable', 'the database is unavailable; retry shortly');
  }
  request.log.error({ err: error }, 'unhandled error');
  return sendError(reply, 500, 'internal_error', 'internal error; the request id identifies it in the server log');
}

const CLIENT_ERRORS: Record<string, [number, string, string, string]> = {
  HPE_HEADER_OVERFLOW: [
    431,
    'Request Header Fields Too Large',
    'headers_too_large',
    'the request line and headers exceed the size limit',
  ],
  ERR_HTTP_REQUEST_TIMEOUT: [408, 'Request Timeout', 'request_timeout', 'the request was not received in time'],
};

/**
 * Answers an error Node's HTTP parser raised before a request existed (a 20 kB query string is a
 * 431) in the envelope, where the socket can still take it; otherwise closes the socket.
 */
export function writeClientError(error: Error & { code?: string }, socket: Duplex, requestId: string): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, reason, code, message] = CLIENT_ERRORS[error.code ?? ''] ?? [
    400,
    'Bad Request',
    'bad_request',
    'the request could not be parsed',
  ];
  const body = JSON.stringify({ error: code, message, request_id: requestId } satisfies ErrorBody);
  if (!socket.writable) {
    socket.destroy(error);
    return;
  }
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Type: application/json; charset=utf-8\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}
