import { z } from 'zod';

/**
 * The `post_deploy_verify` config block shared by file-based targets (nginx, caddy, postfix, ...):
 * after the reload, connect to `endpoint` until it presents the deployed certificate. The certctl
 * agent reads the same key to report the job's verification. Extend it for protocol extras
 * (postfix adds `starttls`).
 */
export const postDeployVerifySchema = z.strictObject({
  enabled: z.boolean().default(true).describe('Turn the check off without deleting it'),
  endpoint: z
    .string()
    .regex(/^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/, 'must be host:port, e.g. 127.0.0.1:443')
    .describe('A TLS listener of the service that serves this certificate'),
  server_name: z.string().min(1).max(253).optional().describe('SNI to send (the site name); default none'),
  timeout_seconds: z
    .int()
    .min(1)
    .max(300)
    .default(10)
    .describe('How long to keep trying before the deploy is rolled back'),
});

export type PostDeployVerifyConfig = z.output<typeof postDeployVerifySchema>;

export interface PostDeployVerifySettings {
  host: string;
  port: number;
  servername?: string;
  withinMs: number;
}

/** The block as probe settings (`[::1]:443` → host `::1`), or undefined when absent or disabled. */
export function resolvePostDeployVerify(
  verify: Pick<PostDeployVerifyConfig, 'enabled' | 'endpoint' | 'server_name' | 'timeout_seconds'> | undefined,
): PostDeployVerifySettings | undefined {
  if (!verify?.enabled) return undefined;
  const split = verify.endpoint.lastIndexOf(':');
  return {
    host: verify.endpoint.slice(0, split).replace(/^\[|\]$/g, ''),
    port: Number(verify.endpoint.slice(split + 1)),
    servername: verify.server_name,
    withinMs: verify.timeout_seconds * 1000,
  };
}
