import type { BodyParsing } from '../../http/route-spec.js';

/**
 * SCEP POST bodies are raw DER. Clients label them application/x-pki-message, octet-stream, or not
 * at all (strongSwan's pki sends no Content-Type), so unlabelled POSTs to /scep are read as PKIMessages.
 */
export const SCEP_BODIES: BodyParsing = {
  raw: ['application/x-pki-message', 'application/octet-stream'],
  defaultContentType: 'application/x-pki-message',
};
