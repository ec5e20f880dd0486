import { defineNotifier } from '@certctl/core';
import { webhookConfigSchema, webhookEnvMapping } from './webhook-config.js';
import { createWebhookNotifier } from './webhook-notifier.js';

export const VERSION: string = typeof __PACKAGE_VERSION__ === 'string' ? __PACKAGE_VERSION__ : '0.0.0-source';

export { createWebhookNotifier };
export type { WebhookConfig } from './webhook-config.js';
// Receivers verify deliveries with these; they are part of the package's contract.
export {
  DEFAULT_TOLERANCE_SECONDS,
  SIGNATURE_HEADER,
  type SignatureVerification,
  signWebhookPayload,
  type VerifyWebhookSignatureOptions,
  verifyWebhookSignature,
} from './webhook-signature.js';

export default defineNotifier({
  specificationVersion: 'v1',
  id: 'webhook',
  displayName: 'Webhook',
  version: VERSION,
  description:
    'POSTs certificate events as signed JSON (HMAC-SHA256 with a timestamp) to any HTTP endpoint, under an SSRF policy',
  configSchema: webhookConfigSchema,
  env: webhookEnvMapping,
  capabilities: { resolve: true, html: true },
  create: (config, ctx) => createWebhookNotifier(config, ctx, VERSION),
});
