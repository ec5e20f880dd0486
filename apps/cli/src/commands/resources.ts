import type { ListPath, QueryOf, Schema } from '@certctl/client';
import type { Command } from 'commander';
import { type CommandContext, positiveInt, repeatable } from '../context.js';
import { CliError, EXIT } from '../exit-codes.js';
import type { Column } from '../output.js';
import { withSpinner } from '../spinner.js';

const col = <T>(header: string, value: (row: T) => unknown): Column<T> => ({ header, value });

/** `<noun> list`: every page of a list route, filters as options, `--limit`. */
function listCommand<P extends ListPath>(
  parent: Command,
  ctx: CommandContext,
  spec: {
    path: P;
    description: string;
    // biome-ignore lint/suspicious/noExplicitAny: each list's rows are typed by its route; columns read them.
    columns: Column<any>[];
    filters?: { flag: string; param: string; help: string }[];
    examples: string;
  },
): void {
  const command = parent.command('list').description(spec.description);
  for (const filter of spec.filters ?? []) command.option(filter.flag, filter.help);
  command
    .option('--limit <n>', 'at most n rows', positiveInt)
    .addHelpText('after', `\nExamples:\n${spec.examples}`)
    .action(async (options) => {
      const query: Record<string, string> = {};
      for (const filter of spec.filters ?? []) {
        const key = filter.flag
          .replace(/^--/, '')
          .split(' ')[0]!
          .replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
        if (options[key] !== undefined) query[filter.param] = String(options[key]);
      }
      const rows: unknown[] = [];
      const pages = ctx.client().paginate(spec.path, query as Omit<QueryOf<P, 'get'>, 'page' | 'per_page'>, {
        limit: options.limit,
      });
      for await (const row of pages) rows.push(row);
      ctx.print(rows, spec.columns);
    });
}

export function resourceCommands(program: Command, ctx: CommandContext): void {
  const api = () => ctx.client().api;

  // issuers
  const issuers = program.command('issuers').description('Certificate authorities (issuer connectors)');
  listCommand(issuers, ctx, {
    path: '/api/v1/issuers',
    description: 'List issuers',
    columns: [
      col<Schema<'Issuer'>>('id', (i) => i.id),
      col<Schema<'Issuer'>>('name', (i) => i.name),
      col<Schema<'Issuer'>>('type', (i) => i.type),
      col<Schema<'Issuer'>>('enabled', (i) => i.enabled),
    ],
    examples: '  certctl issuers list',
  });
  issuers
    .command('test <id>')
    .description("Check the issuer's connection and credentials")
    .addHelpText('after', '\nExamples:\n  certctl issuers test iss-local')
    .action(async (id: string) => {
      const { data } = await api().POST('/api/v1/issuers/{id}/test', { params: { path: { id } } });
      ctx.print(data!);
    });
  issuers
    .command('import <id>')
    .description('Import the certificates this CA already issued (listExisting) as managed certificates')
    .option('--dry-run', 'show what would be imported, import nothing')
    .option('--include-expired', 'import expired ones too')
    .option('--owner <id>', 'owner of the imported certificates')
    .option('--team <id>', 'team of the imported certificates')
    .option('--renewal-policy <id>', 'renewal policy of the imported certificates')
    .option('--product <name>', 'only this CA product (repeat)', repeatable)
    .option('--domain <name>', 'only names equal to or below this domain (repeat)', repeatable)
    .option('--limit <n>', 'read at most n entries from the CA', positiveInt)
    .addHelpText(
      'after',
      '\nExamples:\n  certctl issuers import iss-digicert --dry-run\n  certctl issuers import iss-digicert --owner o-alice --team t-web',
    )
    .action(async (id: string, options) => {
      const result = await withSpinner(`importing from ${id}`, ctx.io.stderr, async () => {
        const { data } = await api().POST('/api/v1/issuers/{id}/import', {
          params: { path: { id } },
          // The server's default is a dry run; without --dry-run the operator asked for the import.
          body: {
            dry_run: Boolean(options.dryRun),
            ...(options.includeExpired && { include_expired: true }),
            ...(options.owner && { owner_id: options.owner }),
            ...(options.team && { team_id: options.team }),
            ...(options.renewalPolicy && { renewal_policy_id: options.renewalPolicy }),
            ...(options.product && { products: options.product }),
            ...(options.domain && { domains: options.domain }),
            ...(options.limit && { limit: options.limit }),
          },
        });
        return data!;
      });
      ctx.print(result);
    });

  // agents
  const agents = program.command('agents').description('Agents (they hold keys and deploy)');
  type Agent = Schema<'Agent'>;
  listCommand(agents, ctx, {
    path: '/api/v1/agents',
    description: 'List agents',
    columns: [
      col<Agent>('id', (a) => a.id),
      col<Agent>('name', (a) => a.name),
      col<Agent>('hostname', (a) => a.hostname),
      col<Agent>('status', (a) => a.status),
      col<Agent>('last heartbeat', (a) => a.last_heartbeat_at),
      col<Agent>('version', (a) => a.version),
    ],
    filters: [{ flag: '--include-retired <bool>', param: 'include_retired', help: 'true to list retired agents too' }],
    examples: '  certctl agents list\n  certctl agents list --include-retired true -o json',
  });
  agents
    .command('get <id>')
    .description('Show one agent')
    .addHelpText('after', '\nExamples:\n  certctl agents get ag-web1')
    .action(async (id: string) => {
      const { data } = await api().GET('/api/v1/agents/{id}', { params: { path: { id } } });
      ctx.print(data!);
    });
  agents
    .command('retire <id>')
    .description('Retire an agent: its key stops working, its certificates stay')
    .option('--force', 'retire it although targets, certificates or open jobs depend on it (needs --reason)')
    .option('--reason <text>', 'why (kept in the audit log)')
    .addHelpText(
      'after',
      '\nExamples:\n  certctl agents retire ag-web1\n  certctl agents retire ag-web1 --force --reason "host decommissioned"',
    )
    .action(async (id: string, options) => {
      if (options.force && !options.reason) throw new CliError('--force needs --reason', EXIT.usage);
      // 204 without a body: say what happened on stderr and print nothing as data.
      await api().DELETE('/api/v1/agents/{id}', {
        params: {
          path: { id },
          query: {
            ...(options.force && { force: 'true' as const }),
            ...(options.reason && { reason: options.reason }),
          },
        },
      });
      ctx.note(`retired agent ${id}`);
    });

  // jobs
  const jobs = program.command('jobs').description('Issuance, renewal and deployment jobs');
  type Job = Schema<'Job'>;
  listCommand(jobs, ctx, {
    path: '/api/v1/jobs',
    description: 'List jobs',
    columns: [
      col<Job>('id', (j) => j.id),
      col<Job>('type', (j) => j.type),
      col<Job>('status', (j) => j.status),
      col<Job>('certificate', (j) => j.certificate_id),
      col<Job>('attempts', (j) => `${j.attempts}/${j.max_attempts}`),
      col<Job>('last error', (j) => j.last_error),
    ],
    filters: [
      { flag: '--status <status>', param: 'status', help: 'pending, running, awaiting_approval, failed, ...' },
      { flag: '--type <type>', param: 'type', help: 'issuance, renewal or deployment' },
      { flag: '--certificate <id>', param: 'certificate_id', help: 'jobs of this certificate' },
      { flag: '--agent <id>', param: 'agent_id', help: 'jobs of this agent' },
    ],
    examples: '  certctl jobs list --status failed\n  certctl jobs list --certificate mc-web -o yaml',
  });
  jobs
    .command('get <id>')
    .description('Show one job')
    .addHelpText('after', '\nExamples:\n  certctl jobs get job-123')
    .action(async (id: string) => {
      const { data } = await api().GET('/api/v1/jobs/{id}', { params: { path: { id } } });
      ctx.print(data!);
    });
  for (const [verb, description] of [
    ['approve', 'Approve a job awaiting approval'],
    ['reject', 'Reject a job awaiting approval'],
  ] as const)
    jobs
      .command(`${verb} <id>`)
      .description(description)
      .option('--note <text>', 'why (kept in the audit log)')
      .addHelpText('after', `\nExamples:\n  certctl jobs ${verb} job-123 --note "change 42"`)
      .action(async (id: string, options) => {
        const { data } = await api().POST(`/api/v1/jobs/{id}/${verb}`, {
          params: { path: { id } },
          body: { ...(options.note && { note: options.note }) },
        });
        ctx.print(data!);
      });
  jobs
    .command('cancel <id>')
    .description('Cancel a job that has not finished')
    .addHelpText('after', '\nExamples:\n  certctl jobs cancel job-123')
    .action(async (id: string) => {
      const { data } = await api().POST('/api/v1/jobs/{id}/cancel', { params: { path: { id } } });
      ctx.print(data!);
    });

  // discovery
  const discovery = program.command('discovery').description('Certificates found by agents and discovery sources');
  type Discovered = Schema<'DiscoveredCertificate'>;
  listCommand(discovery, ctx, {
    path: '/api/v1/discovered-certificates',
    description: 'List discovered certificates',
    columns: [
      col<Discovered>('id', (d) => d.id),
      col<Discovered>('common name', (d) => d.common_name),
      col<Discovered>('status', (d) => d.status),
      col<Discovered>('not after', (d) => d.not_after),
      col<Discovered>('where', (d) => d.source_path),
    ],
    filters: [
      { flag: '--status <status>', param: 'status', help: 'unmanaged, managed or dismissed' },
      { flag: '--agent <id>', param: 'agent_id', help: 'found by this agent' },
    ],
    examples: '  certctl discovery list --status unmanaged',
  });
  discovery
    .command('claim <id>')
    .description('Link a discovered certificate to a managed certificate')
    .requiredOption('--certificate <id>', 'the managed certificate')
    .addHelpText('after', '\nExamples:\n  certctl discovery claim dc-123 --certificate mc-web')
    .action(async (id: string, options) => {
      const { data } = await api().POST('/api/v1/discovered-certificates/{id}/claim', {
        params: { path: { id } },
        body: { managed_certificate_id: options.certificate },
      });
      ctx.print(data!);
    });
  discovery
    .command('dismiss <id>')
    .description('Dismiss a discovered certificate')
    .option('--reason <text>', 'why')
    .addHelpText('after', '\nExamples:\n  certctl discovery dismiss dc-123 --reason "test box"')
    .action(async (id: string, options) => {
      const { data } = await api().POST('/api/v1/discovered-certificates/{id}/dismiss', {
        params: { path: { id } },
        body: { ...(options.reason && { reason: options.reason }) },
      });
      ctx.print(data!);
    });

  // notifications
  const notifications = program.command('notifications').description('The notification outbox');
  type Notification = Schema<'Notification'>;
  listCommand(notifications, ctx, {
    path: '/api/v1/notifications',
    description: 'List notifications',
    columns: [
      col<Notification>('id', (n) => n.id),
      col<Notification>('event', (n) => n.event),
      col<Notification>('channel', (n) => n.channel),
      col<Notification>('status', (n) => n.status),
      col<Notification>('attempts', (n) => `${n.attempts}/${n.max_attempts}`),
      col<Notification>('subject', (n) => n.subject),
    ],
    filters: [
      { flag: '--status <status>', param: 'status', help: 'pending, sent, failed or dead' },
      { flag: '--certificate <id>', param: 'certificate_id', help: 'about this certificate' },
    ],
    examples: '  certctl notifications list --status dead',
  });
  notifications
    .command('requeue <id>')
    .description('Send a failed or dead notification again')
    .addHelpText('after', '\nExamples:\n  certctl notifications requeue nt-123')
    .action(async (id: string) => {
      const { data } = await api().POST('/api/v1/notifications/{id}/requeue', { params: { path: { id } } });
      ctx.print(data!);
    });

  // audit
  const audit = program.command('audit').description('The append-only audit log');
  type AuditEvent = Schema<'AuditEvent'>;
  listCommand(audit, ctx, {
    path: '/api/v1/audit',
    description: 'List audit events',
    columns: [
      col<AuditEvent>('time', (e) => e.created_at),
      col<AuditEvent>('actor', (e) => e.actor),
      col<AuditEvent>('action', (e) => e.action),
      col<AuditEvent>('resource', (e) => `${e.resource_type}/${e.resource_id}`),
    ],
    filters: [
      { flag: '--actor <name>', param: 'actor', help: 'by this actor' },
      { flag: '--action <action>', param: 'action', help: 'this action (certificate.revoked, ...)' },
      { flag: '--resource-type <type>', param: 'resource_type', help: 'on this kind of resource' },
      { flag: '--resource-id <id>', param: 'resource_id', help: 'on this resource' },
    ],
    examples: '  certctl audit list --resource-id mc-web\n  certctl audit list --actor alice --limit 20',
  });
}
