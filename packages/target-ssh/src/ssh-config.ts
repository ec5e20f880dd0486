/** The SSH target's JSON config (snake_case, as in the reference table). */
import { refineOperatorCommand } from '@certctl/connector-utils';
import { secret } from '@certctl/core';
import { z } from 'zod';
import { normalizeFingerprint } from './host-key.js';

const remotePath = (description: string) =>
  z
    .string()
    .min(2)
    .max(4096)
    .refine((p) => p.startsWith('/') && !/[\0\r\n]/.test(p), 'must be an absolute path without line breaks')
    .refine((p) => !p.split('/').includes('..'), 'must not contain ".."')
    .describe(description);

const command = (description: string) => z.string().superRefine(refineOperatorCommand).describe(description);

const octalMode = (fallback: string, description: string) =>
  z
    .string()
    .regex(/^0?[0-7]{3}$/, 'must be an octal mode such as "0644"')
    .default(fallback)
    .describe(description);

// A DNS name or an IP literal: nothing a remote shell or an SSH option could read as more.
const HOST =
  /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*|[0-9A-Fa-f:.]+)$/;

export const sshConfigSchema = z
  .strictObject({
    host: z.string().min(1).max(253).regex(HOST, 'must be a hostname or an IP address').describe('SSH host'),
    port: z.int().min(1).max(65535).default(22).describe('SSH port'),
    user: z
      .string()
      .min(1)
      .max(64)
      .regex(/^[A-Za-z0-9_][A-Za-z0-9_.-]*$/, 'must be a plain user name')
      .describe('SSH user the agent logs in as'),
    auth_method: z
      .enum(['key', 'password', 'agent'])
      .default('key')
      .describe('"key" (private_key_path or private_key), "password", or "agent" (an ssh-agent at agent_socket)'),
    private_key_path: z
      .string()
      .min(2)
      .refine((p) => p.startsWith('/'), 'must be an absolute path')
      .optional()
      .describe('Private key file on the agent host (key auth)'),
    private_key: secret(z.string().min(1))
      .optional()
      .describe('Private key, OpenSSH or PEM text (key auth; alternative to private_key_path)'),
    passphrase: secret(z.string().min(1)).optional().describe('Passphrase of an encrypted private key'),
    password: secret(z.string().min(1)).optional().describe('Password (password auth)'),
    agent_socket: z
      .string()
      .min(2)
      .refine((p) => p.startsWith('/'), 'must be an absolute path')
      .optional()
      .describe("Path of the ssh-agent socket (agent auth), e.g. the agent service's SSH_AUTH_SOCK"),
    known_hosts_path: z
      .string()
      .min(2)
      .refine((p) => p.startsWith('/'), 'must be an absolute path')
      .optional()
      .describe('known_hosts file on the agent host that lists the host key (one of this or host_key_fingerprint)'),
    host_key_fingerprint: z
      .string()
      .refine(
        (f) => normalizeFingerprint(f) !== undefined,
        'must be an OpenSSH SHA-256 fingerprint: SHA256:<43 base64 characters>',
      )
      .optional()
      .describe('The host key\'s SHA-256 fingerprint as "ssh-keygen -lf" prints it (SHA256:...)'),
    cert_path: remotePath('Remote path of the certificate (with the chain appended when chain_path is not set)'),
    key_path: remotePath('Remote path of the private key'),
    chain_path: remotePath('Remote path of the chain; if empty, the chain is appended to cert_path').optional(),
    cert_mode: octalMode('0644', 'Mode of the certificate and chain files'),
    key_mode: octalMode('0600', 'Mode of the private key file'),
    file_uid: z
      .int()
      .min(0)
      .optional()
      .describe('Numeric owner of the written files (SFTP carries numbers); default: an existing file keeps its owner'),
    file_gid: z
      .int()
      .min(0)
      .optional()
      .describe('Numeric group of the written files; default: an existing file keeps its group'),
    validate_command: command(
      'Optional: runs on the host with the new files in place, before the reload (e.g. "nginx -t"); a failure restores the previous files',
    ).optional(),
    reload_command: command(
      'Optional: runs on the host after the files are written (e.g. "sudo systemctl reload nginx"); a failure restores the previous files and runs it again',
    ).optional(),
    timeout: z
      .int()
      .min(1)
      .max(600)
      .default(30)
      .describe('SSH connection timeout in seconds; also the deadline of each file operation'),
    command_timeout_seconds: z
      .int()
      .min(1)
      .max(600)
      .default(60)
      .describe('Deadline of each validate or reload command'),
  })
  .superRefine((config, ctx) => {
    const issue = (path: string, message: string) => ctx.addIssue({ code: 'custom', path: [path], message });
    if (config.auth_method === 'key' && !config.private_key_path === !config.private_key) {
      issue('private_key_path', 'key auth needs exactly one of private_key_path or private_key');
    }
    if (config.auth_method === 'password' && !config.password) issue('password', 'password auth needs password');
    if (config.auth_method === 'agent' && !config.agent_socket) issue('agent_socket', 'agent auth needs agent_socket');
    if (!config.known_hosts_path === !config.host_key_fingerprint) {
      issue(
        'host_key_fingerprint',
        'the host key must be pinned: set exactly one of known_hosts_path or host_key_fingerprint (ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub on the host prints it)',
      );
    }
    const paths = [config.cert_path, config.key_path, config.chain_path].filter(Boolean);
    if (new Set(paths).size !== paths.length) issue('key_path', 'cert_path, key_path and chain_path must differ');
  });

export type SshTargetConfig = z.output<typeof sshConfigSchema>;
export type SshTargetConfigInput = z.input<typeof sshConfigSchema>;
