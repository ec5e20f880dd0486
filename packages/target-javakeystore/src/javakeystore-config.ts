/** The Java keystore target's JSON config (snake_case, as in the reference table). */
import { refineOperatorCommand } from '@certctl/connector-utils';
import { secret } from '@certctl/core';
import { z } from 'zod';

const absolutePath = (description: string) =>
  z
    .string()
    .min(2)
    .max(4096)
    .refine((p) => p.startsWith('/') && !/[\0\r\n]/.test(p), 'must be an absolute path')
    .refine((p) => !p.split('/').includes('..'), 'must not contain ".."')
    .describe(description);

export const javaKeystoreConfigSchema = z.strictObject({
  keystore_path: absolutePath('The keystore file (created when missing and create_keystore is true)'),
  keystore_password: secret(z.string().min(6).max(1024)).describe(
    'Keystore password; also the key entry password (what Tomcat, Jetty and Kafka expect). keytool reads it from its environment, never from its command line',
  ),
  keystore_type: z.enum(['PKCS12', 'JKS']).default('PKCS12').describe('"PKCS12" or "JKS"'),
  alias: z
    .string()
    .min(1)
    .max(128)
    .regex(/^[A-Za-z0-9_-]+$/, 'letters, digits, "-" and "_" only')
    .default('server')
    .describe('Alias of the key entry the certificate goes under; other entries are left alone'),
  reload_command: z
    .string()
    .superRefine(refineOperatorCommand)
    .optional()
    .describe('Optional: makes the service load the keystore (e.g. "systemctl restart tomcat"); runs without a shell'),
  create_keystore: z.boolean().default(true).describe('Create the keystore if it does not exist'),
  keytool_path: z
    .string()
    .min(1)
    .regex(/^[^\0\r\n;&|$`<>()]+$/, 'must be a program name or path')
    .default('keytool')
    .describe('keytool program (name on PATH or absolute path)'),
  backup_retention: z
    .int()
    .min(-1)
    .max(1000)
    .default(3)
    .describe(
      'Backups of the previous keystore to keep (.certctl-bak.<UTC timestamp>); 0 means the default 3, -1 keeps all',
    ),
  backup_dir: absolutePath('Where backups go; default: beside the keystore').optional(),
  command_timeout_seconds: z
    .int()
    .min(1)
    .max(600)
    .default(60)
    .describe('Deadline of each keytool run and of the reload command'),
});

export type JavaKeystoreTargetConfig = z.output<typeof javaKeystoreConfigSchema>;
export type JavaKeystoreTargetConfigInput = z.input<typeof javaKeystoreConfigSchema>;
