/** The F5 BIG-IP target's JSON config (snake_case, as in the reference table). */
import { secret } from '@certctl/core';
import { z } from 'zod';

const HOST =
  /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*|[0-9A-Fa-f:.]+)$/;
// BIG-IP object names: letters, digits and . _ - (no path separators, no spaces).
const OBJECT_NAME = /^[A-Za-z][A-Za-z0-9_.-]{0,62}$/;

export const f5ConfigSchema = z
  .strictObject({
    host: z
      .string()
      .min(1)
      .max(253)
      .regex(HOST, 'must be a hostname or an IP address')
      .describe('BIG-IP management hostname or IP'),
    port: z.int().min(1).max(65535).default(443).describe('iControl REST (management) port'),
    username: z
      .string()
      .min(1)
      .max(64)
      .regex(/^[A-Za-z0-9_.@-]+$/, 'must be a plain user name')
      .describe('Administrative user (Certificate Manager and rights on the profile suffice)'),
    password: secret(z.string().min(1).max(256)).describe('Password of username'),
    partition: z
      .string()
      .regex(OBJECT_NAME, 'must be a partition name (letters, digits, . _ -)')
      .default('Common')
      .describe('Partition of the certificate objects and the profile'),
    ssl_profile: z
      .string()
      .regex(OBJECT_NAME, 'must be a profile name in the partition (letters, digits, . _ -)')
      .describe('Client SSL profile to update'),
    insecure: z
      .boolean()
      .default(false)
      .describe(
        'Skip TLS verification of the management interface; only by explicit choice (default false, unlike the reference)',
      ),
    ca_cert_path: z
      .string()
      .min(2)
      .refine((p) => p.startsWith('/'), 'must be an absolute path')
      .optional()
      .describe(
        'PEM of the CA (or the self-signed certificate) of the management interface: the only trust anchor used',
      ),
    timeout: z.int().min(1).max(600).default(30).describe('HTTP timeout in seconds, per request'),
  })
  .superRefine((config, ctx) => {
    if (!config.insecure && !config.ca_cert_path) {
      ctx.addIssue({
        code: 'custom',
        path: ['ca_cert_path'],
        message:
          "pin the management interface's certificate: set ca_cert_path (its CA, or the self-signed device certificate), or set insecure: true to skip verification on purpose",
      });
    }
  });

export type F5TargetConfig = z.output<typeof f5ConfigSchema>;
export type F5TargetConfigInput = z.input<typeof f5ConfigSchema>;
