/** The HAProxy target's JSON config (snake_case, as in the reference table). */
import { postDeployVerifySchema, refineOperatorCommand } from '@certctl/connector-utils';
import { z } from 'zod';

const command = (description: string) => z.string().superRefine(refineOperatorCommand).describe(description);

export const haproxyConfigSchema = z.strictObject({
  pem_path: z
    .string()
    .min(2)
    .max(4096)
    .refine((p) => p.startsWith('/') && !p.includes('\0'), 'must be an absolute path')
    .describe(
      'Where the combined PEM goes (certificate, chain, then private key: the file a bind line\'s "crt" names); mode 0600 when new',
    ),
  reload_command: command(
    'Makes HAProxy load the new file; runs without a shell, so ; | & $ are refused (e.g. "systemctl reload haproxy")',
  ).default('systemctl reload haproxy'),
  validate_command: command(
    'Optional: checks the config with the new file in place before reloading (e.g. "haproxy -c -f /etc/haproxy/haproxy.cfg"); without it the deploy goes straight to the reload',
  ).optional(),
  command_timeout_seconds: z.int().min(1).max(600).default(60).describe('Deadline of each validate or reload command'),
  post_deploy_verify: postDeployVerifySchema
    .optional()
    .describe(
      'After the reload, connect to HAProxy and check that it presents the deployed certificate; otherwise restore the previous file and reload again',
    ),
});

export type HaproxyTargetConfig = z.output<typeof haproxyConfigSchema>;
export type HaproxyTargetConfigInput = z.input<typeof haproxyConfigSchema>;
