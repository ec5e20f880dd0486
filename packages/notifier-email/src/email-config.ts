import { secret } from '@certctl/core';
import { z } from 'zod';

export const emailConfigSchema = z
  .strictObject({
    smtp_host: z.string().min(1),
    smtp_port: z.number().int().min(1).max(65535).default(587),
    username: z.string().min(1).optional(),
    password: secret(z.string().min(1)).optional(),
    /** The envelope sender and `From:` address. */
    from_address: z.email(),
    /** Display name in `From:`. */
    from_name: z.string().min(1).max(100).default('certctl'),
    /** Where notifications go when routing gives no recipients (e.g. a team list). */
    to_addresses: z.array(z.email()).default([]),
    /** Require TLS: STARTTLS on 587/25 (the session fails if the server does not offer it), implicit TLS on 465. */
    use_tls: z.boolean().default(true),
    /** TLS from the first byte (SMTPS); default: true on port 465. */
    implicit_tls: z.boolean().optional(),
    /** PEM CA certificate(s) trusted for the SMTP server, in addition to the system store. */
    ca_pem: z.string().includes('-----BEGIN CERTIFICATE-----', { error: 'must hold a PEM certificate' }).optional(),
    /** Deadline for connecting, greeting and each SMTP step. */
    timeout_seconds: z.number().int().min(1).max(300).default(30),
  })
  .refine((c) => (c.username === undefined) === (c.password === undefined), {
    path: ['password'],
    message: 'username and password go together',
  });

export type EmailConfig = z.output<typeof emailConfigSchema>;

export const emailEnvMapping = {
  CERTCTL_SMTP_HOST: 'smtp_host',
  CERTCTL_SMTP_PORT: 'smtp_port',
  CERTCTL_SMTP_USERNAME: 'username',
  CERTCTL_SMTP_PASSWORD: 'password',
  CERTCTL_SMTP_FROM_ADDRESS: 'from_address',
  CERTCTL_SMTP_FROM_NAME: 'from_name',
  CERTCTL_SMTP_TO_ADDRESSES: 'to_addresses',
  CERTCTL_SMTP_USE_TLS: 'use_tls',
  CERTCTL_SMTP_IMPLICIT_TLS: 'implicit_tls',
  CERTCTL_SMTP_CA_PEM: 'ca_pem',
} as const;
