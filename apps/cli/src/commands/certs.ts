import { readFileSync, writeFileSync } from 'node:fs';
import type { Schema } from '@certctl/client';
import { createCsr, exportPrivateKeyPem, generateKeyPair, type KeyAlgorithmName } from '@certctl/pki';
import type { Command } from 'commander';
import { passwordFromEnv } from '../cli-config.js';
import { type CommandContext, keyValues, positiveInt, repeatable } from '../context.js';
import { CliError, EXIT } from '../exit-codes.js';
import type { Column } from '../output.js';
import { withSpinner } from '../spinner.js';

type Certificate = Schema<'Certificate'>;
type Job = Schema<'Job'>;

export const CERTIFICATE_COLUMNS: Column<Certificate>[] = [
  { header: 'id', value: (c) => c.id },
  { header: 'name', value: (c) => c.name },
  { header: 'common name', value: (c) => c.common_name },
  { header: 'status', value: (c) => c.status },
  { header: 'expires', value: (c) => c.expires_at },
  { header: 'issuer', value: (c) => c.issuer_id },
];

const FINISHED = new Set(['succeeded', 'failed', 'cancelled', 'dead']);

/** Polls a job until it finishes (with a spinner); a job that did not succeed is exit code 1. */
async function waitForJob(ctx: CommandContext, job: Job, timeoutSeconds: number): Promise<Job> {
  const client = ctx.client();
  const deadline = Date.now() + timeoutSeconds * 1000;
  const done = await withSpinner(`waiting for ${job.type} job ${job.id}`, ctx.io.stderr, async (progress) => {
    let current = job;
    while (!FINISHED.has(current.status)) {
      if (Date.now() > deadline)
        throw new CliError(`job ${job.id} is still ${current.status} after ${timeoutSeconds}s`, EXIT.failure);
      progress.update(`job ${job.id}: ${current.status}`);
      await new Promise((resolve) => setTimeout(resolve, 500));
      const { data } = await client.api.GET('/api/v1/jobs/{id}', { params: { path: { id: job.id } } });
      current = data!;
    }
    return current;
  });
  if (done.status !== 'succeeded')
    throw new CliError(`job ${done.id} ${done.status}: ${done.last_error ?? 'no error recorded'}`, EXIT.failure);
  return done;
}

export function certsCommand(program: Command, ctx: CommandContext): void {
  const certs = program.command('certs').description('Managed certificates');

  certs
    .command('list')
    .description('List certificates (every page)')
    .option('--status <status>', 'active, expiring, expired, revoked, ...')
    .option('--issuer <id>', 'only this issuer')
    .option('--owner <id>', 'only this owner')
    .option('--team <id>', 'only this team')
    .option('--environment <env>', 'only this environment')
    .option('--limit <n>', 'at most n certificates', positiveInt)
    .addHelpText('after', '\nExamples:\n  certctl certs list\n  certctl certs list --status expiring -o json')
    .action(async (options) => {
      const query = {
        ...(options.status && { status: options.status }),
        ...(options.issuer && { issuer_id: options.issuer }),
        ...(options.owner && { owner_id: options.owner }),
        ...(options.team && { team_id: options.team }),
        ...(options.environment && { environment: options.environment }),
      };
      const rows: Certificate[] = [];
      for await (const cert of ctx.client().paginate('/api/v1/certificates', query, { limit: options.limit }))
        rows.push(cert);
      ctx.print(rows, CERTIFICATE_COLUMNS);
    });

  certs
    .command('get <id>')
    .description('Show one certificate')
    .addHelpText('after', '\nExamples:\n  certctl certs get mc-web\n  certctl certs get mc-web -o yaml')
    .action(async (id: string) => {
      const { data } = await ctx.client().api.GET('/api/v1/certificates/{id}', { params: { path: { id } } });
      ctx.print(data!);
    });

  certs
    .command('create')
    .description('Create a managed certificate (and queue its issuance with --issue-now)')
    .requiredOption('--name <name>', 'display name')
    .requiredOption('--cn <common-name>', 'common name')
    .option('--san <name>', 'subject alternative name (repeat)', repeatable)
    .requiredOption('--issuer <id>', 'issuer id')
    .requiredOption('--owner <id>', 'owner id')
    .requiredOption('--team <id>', 'team id')
    .requiredOption('--renewal-policy <id>', 'renewal policy id')
    .option('--profile <id>', 'certificate profile id')
    .option('--agent <id>', 'agent that holds the key (it sends the CSR)')
    .option('--target <id>', 'deployment target (repeat)', repeatable)
    .option('--environment <env>', 'environment label')
    .option('--tag <key=value>', 'tag (repeat)', repeatable)
    .option('--id <id>', 'choose the id (default: generated)')
    .option('--csr <file>', 'PEM CSR to issue from (its key stays where it is)')
    .option('--key-out <file>', 'make the key and CSR here, write the key to this file (mode 0600)')
    .option('--key-algorithm <name>', 'algorithm of a --key-out key', 'ecdsa-p256')
    .option('--issue-now', 'queue issuance at once (with --csr, --key-out or --agent)')
    .option('--wait', 'wait until the issuance job finishes (implies --issue-now)')
    .option('--timeout <seconds>', 'how long --wait waits', positiveInt, 300)
    .addHelpText(
      'after',
      '\nExamples:\n  certctl certs create --name web --cn web.example.com --san www.example.com \\\n    --issuer iss-local --owner o-alice --team t-platform --renewal-policy rp-default \\\n    --key-out web.key --wait',
    )
    .action(async (options) => {
      if (options.csr && options.keyOut) throw new CliError('--csr and --key-out exclude each other', EXIT.usage);
      let csrPem: string | undefined = options.csr ? readFileSync(options.csr, 'utf8') : undefined;
      if (options.keyOut) {
        // The private key is made and kept here; only the CSR goes to the server.
        const keys = await generateKeyPair({ algorithm: options.keyAlgorithm as KeyAlgorithmName });
        const sans = [options.cn, ...(options.san ?? [])].map((value: string) => ({ type: 'dns' as const, value }));
        csrPem = (await createCsr({ keys, subject: { CN: options.cn }, sans })).pem;
        writeFileSync(options.keyOut, exportPrivateKeyPem(keys.privateKey), { mode: 0o600 });
      }
      const { data } = await ctx.client().api.POST('/api/v1/certificates', {
        body: {
          ...(options.id && { id: options.id }),
          name: options.name,
          common_name: options.cn,
          ...(options.san && { sans: options.san }),
          issuer_id: options.issuer,
          owner_id: options.owner,
          team_id: options.team,
          renewal_policy_id: options.renewalPolicy,
          ...(options.profile && { profile_id: options.profile }),
          ...(options.agent && { agent_id: options.agent }),
          ...(options.target && { target_ids: options.target }),
          ...(options.environment && { environment: options.environment }),
          ...(options.tag && { tags: keyValues(options.tag) }),
          ...(csrPem && { csr_pem: csrPem }),
          ...((options.issueNow || options.wait) && { issue_now: true }),
        },
      });
      const created = data!;
      if (options.wait && created.job) {
        await waitForJob(ctx, created.job, options.timeout);
        const { data: issued } = await ctx
          .client()
          .api.GET('/api/v1/certificates/{id}', { params: { path: { id: created.id } } });
        return ctx.print(issued!);
      }
      ctx.print(created);
    });

  certs
    .command('renew <id>')
    .description('Queue a renewal now')
    .option('--wait', 'wait until the renewal job finishes')
    .option('--timeout <seconds>', 'how long --wait waits', positiveInt, 300)
    .addHelpText('after', '\nExamples:\n  certctl certs renew mc-web --wait')
    .action(async (id: string, options) => {
      const { data } = await ctx.client().api.POST('/api/v1/certificates/{id}/renew', { params: { path: { id } } });
      ctx.print(options.wait ? await waitForJob(ctx, data!, options.timeout) : data!);
    });

  certs
    .command('revoke <id>')
    .description('Revoke a certificate (RFC 5280 reason)')
    .option('--reason <reason>', 'unspecified, keyCompromise, superseded, cessationOfOperation, ...')
    .addHelpText('after', '\nExamples:\n  certctl certs revoke mc-web --reason keyCompromise')
    .action(async (id: string, options) => {
      const { data } = await ctx.client().api.POST('/api/v1/certificates/{id}/revoke', {
        params: { path: { id } },
        body: { ...(options.reason && { reason: options.reason }) },
      });
      ctx.print(data!);
    });

  certs
    .command('bulk-revoke')
    .description('Revoke every certificate matching the filters (or the ids given)')
    .option('--id <id>', 'certificate id (repeat)', repeatable)
    .option('--owner <id>', 'every certificate of this owner')
    .option('--team <id>', 'every certificate of this team')
    .option('--issuer <id>', 'every certificate of this issuer')
    .option('--profile <id>', 'every certificate of this profile')
    .option('--agent <id>', 'every certificate of this agent')
    .option('--reason <reason>', 'RFC 5280 reason')
    .addHelpText(
      'after',
      '\nExamples:\n  certctl certs bulk-revoke --issuer iss-old --reason cessationOfOperation\n  certctl certs bulk-revoke --id mc-a --id mc-b --reason keyCompromise',
    )
    .action(async (options) => {
      const body = {
        ...(options.id && { certificate_ids: options.id }),
        ...(options.owner && { owner_id: options.owner }),
        ...(options.team && { team_id: options.team }),
        ...(options.issuer && { issuer_id: options.issuer }),
        ...(options.profile && { profile_id: options.profile }),
        ...(options.agent && { agent_id: options.agent }),
        ...(options.reason && { reason: options.reason }),
      };
      if (Object.keys(body).filter((key) => key !== 'reason').length === 0)
        throw new CliError(
          'bulk-revoke needs --id or a filter (--owner, --team, --issuer, --profile, --agent)',
          EXIT.usage,
        );
      // The server answers 202 with a bulk operation; follow it until every item is done.
      const result = await withSpinner('revoking', ctx.io.stderr, async () => {
        const client = ctx.client();
        const { data: started } = await client.api.POST('/api/v1/certificates/bulk-revoke', { body });
        let operation = started!;
        while (operation.status !== 'completed') {
          await new Promise((resolve) => setTimeout(resolve, 500));
          const { data } = await client.api.GET('/api/v1/bulk-operations/{id}', {
            params: { path: { id: operation.id } },
          });
          operation = { ...data!, replayed: started!.replayed };
        }
        return operation;
      });
      ctx.print(result);
      if (result.counts.failed > 0) throw new CliError(`${result.counts.failed} revocations failed`, EXIT.failure);
    });

  certs
    .command('export <id>')
    .description(
      'Export the current certificate and chain as PEM, or as PKCS#12 (AES-256; certificates only: the server never holds the key)',
    )
    .option('--format <format>', 'pem or pkcs12', 'pem')
    .option('--password <password>', 'PKCS#12 password (or CERTCTL_PKCS12_PASSWORD)')
    .option('--out <file>', 'write to this file instead of stdout (required for pkcs12)')
    .addHelpText(
      'after',
      '\nExamples:\n  certctl certs export mc-web > web.pem\n  certctl certs export mc-web --format pkcs12 --password s3cret --out web.p12',
    )
    .action(async (id: string, options) => {
      const client = ctx.client();
      if (options.format === 'pem') {
        const { data } = await client.api.GET('/api/v1/certificates/{id}/export/pem', {
          params: { path: { id } },
          parseAs: 'text',
        });
        if (options.out) writeFileSync(options.out, data as string);
        else ctx.io.stdout.write(data as string);
        return;
      }
      if (options.format !== 'pkcs12') throw new CliError('--format is pem or pkcs12', EXIT.usage);
      const password = options.password ?? passwordFromEnv(ctx.io.env, 'CERTCTL_PKCS12_PASSWORD');
      if (!password || !options.out)
        throw new CliError('pkcs12 needs --password (or CERTCTL_PKCS12_PASSWORD) and --out', EXIT.usage);
      const { data } = await client.api.POST('/api/v1/certificates/{id}/export/pkcs12', {
        params: { path: { id } },
        body: { password },
        parseAs: 'arrayBuffer',
      });
      writeFileSync(options.out, new Uint8Array(data as ArrayBuffer), { mode: 0o600 });
      ctx.note(`wrote ${options.out}`);
    });
}
