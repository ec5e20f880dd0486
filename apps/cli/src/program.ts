import { CertctlApiError } from '@certctl/client';
import { Command, CommanderError, Option } from 'commander';
import { certsCommand } from './commands/certs.js';
import { estCommand } from './commands/est.js';
import { metaCommands } from './commands/meta.js';
import { resourceCommands } from './commands/resources.js';
import { type CliIo, CommandContext } from './context.js';
import { CliError, EXIT } from './exit-codes.js';

export const CLI_VERSION: string = typeof __PACKAGE_VERSION__ === 'string' ? __PACKAGE_VERSION__ : '0.0.0-source';

/** The exit code for a failure: usage 2, refused (4xx) 4, unavailable (5xx, network) 5, else 1. */
export function exitCodeOf(error: unknown): number {
  if (error instanceof CliError) return error.exitCode;
  if (CertctlApiError.isInstance(error)) {
    if (error.status !== undefined && error.status >= 400 && error.status < 500) return EXIT.refused;
    return EXIT.unavailable;
  }
  return EXIT.failure;
}

function buildProgram(io: CliIo): { program: Command; ctx: CommandContext } {
  const program = new Command('certctl');
  const ctx = new CommandContext(io, program, CLI_VERSION);
  program
    .description('Operate a certctl server: certificates, issuers, agents, jobs, discovery, EST enrolment')
    .version(CLI_VERSION, '-V, --cli-version', 'print the CLI version')
    .option('-s, --server <url>', 'server URL (CERTCTL_SERVER_URL)')
    .option('-k, --api-key <key>', 'API key (CERTCTL_API_KEY)')
    .option('--ca-bundle <file>', "PEM CA bundle trusted for the server's TLS (CERTCTL_CA_BUNDLE)")
    .option('-c, --config <file>', 'config file (CERTCTL_CONFIG; default ~/.config/certctl/config.json)')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['table', 'json', 'yaml']).default('table'))
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
    })
    .addHelpText(
      'after',
      `
Examples:
  certctl status
  certctl certs list --status expiring
  certctl -o json jobs list --status failed

Configuration: flags, then CERTCTL_SERVER_URL / CERTCTL_API_KEY / CERTCTL_CA_BUNDLE, then the config file.
Exit codes: 0 ok, 1 failed, 2 usage, 4 refused by the server (4xx), 5 server error or unreachable (5xx, network).`,
    );
  certsCommand(program, ctx);
  resourceCommands(program, ctx);
  estCommand(program, ctx);
  metaCommands(program, ctx);
  // Every subcommand reports usage errors through the same override and streams.
  const configure = (command: Command) => {
    for (const sub of command.commands) {
      sub.exitOverride().configureOutput({
        writeOut: (text) => io.stdout.write(text),
        writeErr: (text) => io.stderr.write(text),
      });
      sub.showHelpAfterError('(run with --help for usage)');
      configure(sub);
    }
  };
  configure(program);
  return { program, ctx };
}

/** Runs `certctl` with these arguments (without node and the script) and returns its exit code. */
export async function runCli(args: readonly string[], io: CliIo): Promise<number> {
  const { program, ctx } = buildProgram(io);
  try {
    if (args.length === 0) {
      program.outputHelp();
      return EXIT.usage;
    }
    await program.parseAsync([...args], { from: 'user' });
    return EXIT.ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --cli-version end here too, with exit code 0.
      if (error.exitCode === 0) return EXIT.ok;
      // A group without its subcommand (`certctl certs`) prints its help: a usage error.
      return EXIT.usage;
    }
    const code = exitCodeOf(error);
    const message = CertctlApiError.isInstance(error)
      ? `error: ${error.status === undefined ? `cannot reach the server: ${error.serverMessage}` : `${error.status} ${error.error}: ${error.serverMessage}`}${error.requestId ? ` (request ${error.requestId})` : ''}`
      : `error: ${(error as Error).message}`;
    io.stderr.write(`${message}\n`);
    return code;
  } finally {
    await ctx.close();
  }
}
