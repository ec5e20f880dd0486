/** The Windows certificate store target's JSON config (snake_case, keys as in the reference). */
import {
  execDeadlineSchema,
  WINDOWS_STORE_LOCATIONS,
  windowsStoreNameSchema,
  windowsText,
  winrmSettingsShape,
} from '@certctl/connector-utils';
import { secret } from '@certctl/core';
import { z } from 'zod';

export const winCertStoreConfigSchema = z
  .strictObject({
    store_name: windowsStoreNameSchema
      .default('My')
      .describe('Certificate store name (My, WebHosting, Remote Desktop, ...)'),
    store_location: z.enum(WINDOWS_STORE_LOCATIONS).default('LocalMachine').describe('LocalMachine or CurrentUser'),
    friendly_name: windowsText(256)
      .default('certctl')
      .describe(
        'Friendly name of the certificate this target manages; the one it replaces carries the same name and is archived',
      ),
    remove_expired: z
      .boolean()
      .default(false)
      .describe('After a deploy, delete expired certificates with the same common name'),
    mode: z
      .enum(['local', 'winrm'])
      .default('local')
      .describe('local: PowerShell on the agent host; winrm: a Windows host over WinRM (proxy agent)'),
    exec_deadline: execDeadlineSchema.describe('Cap on each PowerShell run, e.g. 60s or 5m'),
    winrm_host: winrmSettingsShape.winrm_host.optional(),
    winrm_port: winrmSettingsShape.winrm_port,
    winrm_username: winrmSettingsShape.winrm_username.optional(),
    winrm_password: secret(windowsText(1024)).optional().describe('Password of winrm_username'),
    winrm_https: winrmSettingsShape.winrm_https,
    winrm_insecure: winrmSettingsShape.winrm_insecure,
    winrm_auth: winrmSettingsShape.winrm_auth,
    winrm_ca_path: winrmSettingsShape.winrm_ca_path,
  })
  .superRefine((config, ctx) => {
    if (config.mode !== 'winrm') return;
    for (const key of ['winrm_host', 'winrm_username', 'winrm_password'] as const) {
      if (!config[key]) ctx.addIssue({ code: 'custom', path: [key], message: 'is required in winrm mode' });
    }
  });

export type WinCertStoreTargetConfig = z.output<typeof winCertStoreConfigSchema>;
export type WinCertStoreTargetConfigInput = z.input<typeof winCertStoreConfigSchema>;
