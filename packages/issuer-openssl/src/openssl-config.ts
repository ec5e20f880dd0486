/** The script issuer's JSON config (snake_case, as in the reference table) and its environment variables. */
import { type EnvMapping, secret } from '@certctl/core';
import { z } from 'zod';

const scriptPath = z
  .string()
  .min(2)
  .max(4096)
  .regex(/^\/[^\0\r\n]*$/, 'must be an absolute path (scripts are run directly, without a shell or PATH lookup)');

/** Names a script may receive; CERTCTL_* names that certctl sets itself are refused so they cannot be overridden. */
const envName = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'environment variable names are letters, digits and underscores')
  .refine(
    (name) => !RESERVED_ENV.has(name),
    'is set by certctl for each run (CERTCTL_NOT_AFTER, CERTCTL_CRL_*) and cannot be configured',
  );

export const RESERVED_ENV = new Set([
  'CERTCTL_NOT_AFTER',
  'CERTCTL_CRL_NUMBER',
  'CERTCTL_CRL_LAST_UPDATE',
  'CERTCTL_CRL_NEXT_UPDATE',
]);

const envValue = z
  .string()
  .max(4096)
  .regex(/^[^\0]*$/, 'must not contain NUL');

export const opensslConfigSchema = z.strictObject({
  sign_script: scriptPath.describe(
    'Executable that reads a PEM CSR on stdin and prints the signed certificate (PEM), optionally followed by its chain',
  ),
  revoke_script: scriptPath
    .optional()
    .describe('Executable run as `revoke_script <hex serial> <RFC 5280 reason> <reason code>`'),
  crl_script: scriptPath
    .optional()
    .describe(
      'Executable that prints a DER CRL on stdin; it reads the platform revocations, one "<serial> <reason> <time>" per line',
    ),
  timeout_seconds: z
    .int()
    .min(1)
    .max(3600)
    .default(30)
    .describe('Each script run is killed after this many seconds (SIGTERM, then SIGKILL)'),
  script_env: z
    .record(envName, envValue)
    .default({})
    .describe(
      'Environment given to the scripts, e.g. {"CERTCTL_OPENSSL_CA_DIR": "/etc/certctl/ca"}; nothing else is inherited but PATH',
    ),
  script_secret_env: secret(z.record(envName, envValue))
    .optional()
    .describe('Like script_env, for values that are secrets (a CA key passphrase); encrypted at rest and redacted'),
});

/** The parsed config (defaults applied). */
export type OpensslIssuerConfig = z.output<typeof opensslConfigSchema>;
/** What an operator writes. */
export type OpensslIssuerConfigInput = z.input<typeof opensslConfigSchema>;

/** The reference names. */
export const opensslEnvMapping: EnvMapping = {
  CERTCTL_OPENSSL_SIGN_SCRIPT: 'sign_script',
  CERTCTL_OPENSSL_REVOKE_SCRIPT: 'revoke_script',
  CERTCTL_OPENSSL_CRL_SCRIPT: 'crl_script',
  CERTCTL_OPENSSL_TIMEOUT_SECONDS: 'timeout_seconds',
};
