/**
 * A small target for the agent's tests: writes cert (+chain) and key through connector-utils'
 * deployFiles (atomic, rollback), then runs optional validate and reload argv through ctx.exec.
 * Protocol and outage tests use it for its control hooks (failures, delays); the end-to-end test uses
 * the real @certctl/target-nginx.
 */

import { X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { deployFiles, sleepWithSignal } from '@certctl/connector-utils';
import { type ConnectorContext, ConnectorError, defineTarget, type TargetInstance } from '@certctl/core';
import { z } from 'zod';

const argv = z.array(z.string().min(1)).min(1);
export const fileTargetConfig = z
  .object({
    cert_path: z.string().min(1),
    key_path: z.string().min(1),
    /** Leaf + chain in the cert file (what nginx's ssl_certificate wants). */
    fullchain: z.boolean().default(true),
    validate_command: argv.optional(),
    reload_command: argv.optional(),
    /** Backups kept per file (the agent fills it from CERTCTL_DEPLOY_BACKUP_RETENTION when unset). */
    backup_retention: z.number().int().min(0).optional(),
    post_deploy_verify: z
      .object({ enabled: z.boolean().default(true), endpoint: z.string(), server_name: z.string().optional() })
      .optional(),
  })
  .strict();

export interface FileTargetControl {
  deployCalls: { serial: string; changed: boolean }[];
  /** Fail the next deploys with this message. */
  failWith?: string;
  /** Hold each deploy this long before writing (abortable), and say when one starts. */
  delayMs?: number;
  onDeployStart?: () => void;
  /** What deploys report as their DeployResult.metadata (a cloud target's ARN, say). */
  metadata?: Record<string, string>;
}

export function createFileTargetManifest(id: string) {
  const control: FileTargetControl = { deployCalls: [] };
  const run = async (ctx: ConnectorContext, command: string[], what: string, signal?: AbortSignal) => {
    const [bin, ...args] = command as [string, ...string[]];
    const result = await ctx.exec(bin, args, { timeoutMs: 20_000, signal });
    if (result.exitCode !== 0)
      throw new ConnectorError({
        connector: `target-${id}`,
        message: `${what} failed (${bin} exited ${result.exitCode}): ${result.stderr.trim().slice(0, 500)}`,
      });
  };
  const manifest = defineTarget({
    specificationVersion: 'v1',
    id,
    displayName: `Test file target (${id})`,
    version: '0.0.0',
    configSchema: fileTargetConfig,
    create: (config, ctx): TargetInstance => ({
      async deploy(request) {
        if (control.failWith) throw new ConnectorError({ connector: `target-${id}`, message: control.failWith });
        control.onDeployStart?.();
        if (control.delayMs) await sleepWithSignal(control.delayMs, request.signal);
        const cert = config.fullchain ? `${request.certPem.trim()}\n${request.chainPem.trim()}\n` : request.certPem;
        const result = await deployFiles({
          files: [
            { path: config.cert_path, content: cert, kind: 'certificate' },
            { path: config.key_path, content: request.keyPem, kind: 'private-key' },
          ],
          validate: config.validate_command
            ? () => run(ctx, config.validate_command as string[], 'validate', request.signal)
            : undefined,
          reload: config.reload_command
            ? () => run(ctx, config.reload_command as string[], 'reload', request.signal)
            : undefined,
          connector: `target-${id}`,
          backups: config.backup_retention ?? 2,
          signal: request.signal,
        });
        control.deployCalls.push({ serial: request.serial, changed: result.changed });
        return {
          changed: result.changed,
          detail: `wrote ${result.files.join(', ')}`,
          ...(control.metadata && { metadata: control.metadata }),
        };
      },
      async validateDeployment({ serial }) {
        const observed = new X509Certificate(await readFile(config.cert_path, 'utf8')).serialNumber
          .toLowerCase()
          .replace(/^(00)+(?=..)/, '');
        return {
          valid: observed === serial,
          observedSerial: observed,
          detail: `${config.cert_path} holds ${observed}`,
        };
      },
    }),
  });
  return { manifest, control };
}
