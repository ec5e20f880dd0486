/** The HAProxy target's JSON config (snake_case, as in the reference table). */
import { absolutePath, commandFileTargetFields } from '@certctl/connector-utils';
import { z } from 'zod';

export const haproxyConfigSchema = z.strictObject({
  pem_path: absolutePath(
    'Where the combined PEM goes (certificate, chain, then private key: the file a bind line\'s "crt" names); mode 0600 when new',
  ),
  ...commandFileTargetFields({
    reload: {
      description:
        'Makes HAProxy load the new file; runs without a shell, so ; | & $ are refused (e.g. "systemctl reload haproxy")',
      default: 'systemctl reload haproxy',
    },
    validate: {
      description:
        'Optional: checks the config with the new file in place before reloading (e.g. "haproxy -c -f /etc/haproxy/haproxy.cfg"); without it the deploy goes straight to the reload',
      default: undefined,
    },
    verify:
      'After the reload, connect to HAProxy and check that it presents the deployed certificate; otherwise restore the previous file and reload again',
  }),
});

export type HaproxyTargetConfig = z.output<typeof haproxyConfigSchema>;
export type HaproxyTargetConfigInput = z.input<typeof haproxyConfigSchema>;
