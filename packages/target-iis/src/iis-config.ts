/** The IIS target's JSON config (snake_case, keys as in the reference). */
import { isIP } from 'node:net';
import { execDeadlineSchema, windowsStoreNameSchema, winrmSettingsShape } from '@certctl/connector-utils';
import { z } from 'zod';

const HOST_NAME =
  /^(?=.{1,253}$)(\*\.)?[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

export const iisWinRmSchema = z.strictObject({
  ...winrmSettingsShape,
  winrm_timeout: z.int().min(1).max(3600).default(60).describe('Deadline of each WinRM request, in seconds'),
});

export const iisConfigSchema = z
  .strictObject({
    hostname: z.string().regex(HOST_NAME, 'a host name').optional().describe('IIS server name, for messages and logs'),
    site_name: z
      .string()
      .regex(/^[A-Za-z0-9 _\-.]{1,256}$/, 'letters, digits, spaces, "_", "-" and "." only (no wildcards)')
      .describe('IIS site, e.g. Default Web Site'),
    cert_store: windowsStoreNameSchema
      .default('My')
      .describe('LocalMachine store the certificate is imported into: My or WebHosting'),
    port: z.int().min(1).max(65535).default(443).describe('HTTPS binding port'),
    sni: z.boolean().default(false).describe('Require Server Name Indication (SslFlags 1); needs binding_info'),
    ip_address: z
      .string()
      .refine((v) => v === '' || v === '*' || isIP(v) !== 0, 'an IP address, "*" or "" (all unassigned)')
      .default('*')
      .describe('IP address of the binding; "*" or "" for all unassigned'),
    binding_info: z
      .string()
      .regex(HOST_NAME, 'a host name')
      .optional()
      .describe('Host header of the binding (SNI host name)'),
    mode: z
      .enum(['local', 'winrm'])
      .default('local')
      .describe('local: PowerShell on the IIS host; winrm: from a proxy agent over WinRM'),
    exec_deadline: execDeadlineSchema.describe('Cap on each PowerShell run, e.g. 60s or 5m'),
    winrm: iisWinRmSchema.optional().describe('WinRM connection (winrm mode)'),
  })
  .superRefine((config, ctx) => {
    if (config.mode === 'winrm' && !config.winrm) {
      ctx.addIssue({ code: 'custom', path: ['winrm'], message: 'is required in winrm mode' });
    }
    if (config.sni && !config.binding_info) {
      ctx.addIssue({
        code: 'custom',
        path: ['binding_info'],
        message: 'is required when sni is true (the SNI host name)',
      });
    }
  });

export type IisTargetConfig = z.output<typeof iisConfigSchema>;
export type IisTargetConfigInput = z.input<typeof iisConfigSchema>;
