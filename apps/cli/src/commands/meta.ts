import type { Command } from 'commander';
import type { CommandContext } from '../context.js';
import { CliError, EXIT } from '../exit-codes.js';

export function metaCommands(program: Command, ctx: CommandContext): void {
  program
    .command('status')
    .description("The server's health, version and certificate counts")
    .addHelpText('after', '\nExamples:\n  certctl status\n  certctl status -o json')
    .action(async () => {
      const api = ctx.client().api;
      const [{ data: health }, { data: version }, { data: summary }] = await Promise.all([
        api.GET('/health'),
        api.GET('/api/v1/version'),
        api.GET('/api/v1/stats/summary'),
      ]);
      ctx.print({ server: ctx.client().baseUrl, health: health!.status, ...version!, ...summary! });
    });

  program
    .command('version')
    .description("This CLI's version, and the server's when one is configured")
    .addHelpText('after', '\nExamples:\n  certctl version')
    .action(async () => {
      const out: Record<string, unknown> = { cli: ctx.version };
      try {
        ctx.config();
      } catch {
        return ctx.print(out);
      }
      const { data } = await ctx.client().api.GET('/api/v1/version');
      ctx.print({ ...out, server: data });
    });

  program
    .command('completion <shell>')
    .description('Print a shell completion script (bash, zsh or fish)')
    .addHelpText(
      'after',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: zsh's ${fpath[1]}, printed as it is.
      '\nExamples:\n  certctl completion bash > /etc/bash_completion.d/certctl\n  certctl completion zsh > "${fpath[1]}/_certctl"\n  certctl completion fish > ~/.config/fish/completions/certctl.fish',
    )
    .action((shell: string) => {
      const tree = commandTree(program);
      const script =
        shell === 'bash'
          ? bashCompletion(tree)
          : shell === 'zsh'
            ? zshCompletion(tree)
            : shell === 'fish'
              ? fishCompletion(tree)
              : undefined;
      if (!script) throw new CliError(`no completion for "${shell}": bash, zsh or fish`, EXIT.usage);
      ctx.io.stdout.write(script);
    });
}

/** Top-level commands and their subcommands, read from the program itself so completion never drifts. */
function commandTree(program: Command): Map<string, string[]> {
  const tree = new Map<string, string[]>();
  for (const command of program.commands)
    tree.set(
      command.name(),
      command.commands.map((sub) => sub.name()),
    );
  return tree;
}

function bashCompletion(tree: Map<string, string[]>): string {
  const cases = [...tree]
    .filter(([, subs]) => subs.length > 0)
    .map(([name, subs]) => `    ${name}) COMPREPLY=($(compgen -W "${subs.join(' ')}" -- "$cur")) ;;`)
    .join('\n');
  return `# certctl bash completion
_certctl() {
  local cur="\${COMP_WORDS[COMP_CWORD]}"
  if [ "$COMP_CWORD" -eq 1 ]; then
    COMPREPLY=($(compgen -W "${[...tree.keys()].join(' ')}" -- "$cur"))
    return
  fi
  case "\${COMP_WORDS[1]}" in
${cases}
  esac
}
complete -F _certctl certctl
`;
}

function zshCompletion(tree: Map<string, string[]>): string {
  const cases = [...tree]
    .filter(([, subs]) => subs.length > 0)
    .map(([name, subs]) => `    ${name}) _values 'subcommand' ${subs.map((s) => `'${s}'`).join(' ')} ;;`)
    .join('\n');
  return `#compdef certctl
_certctl() {
  if (( CURRENT == 2 )); then
    _values 'command' ${[...tree.keys()].map((c) => `'${c}'`).join(' ')}
    return
  fi
  case "\${words[2]}" in
${cases}
  esac
}
compdef _certctl certctl
`;
}

function fishCompletion(tree: Map<string, string[]>): string {
  const top = [...tree.keys()];
  const lines = [
    '# certctl fish completion',
    `complete -c certctl -f -n "not __fish_seen_subcommand_from ${top.join(' ')}" -a "${top.join(' ')}"`,
    ...[...tree]
      .filter(([, subs]) => subs.length > 0)
      .map(([name, subs]) => `complete -c certctl -f -n "__fish_seen_subcommand_from ${name}" -a "${subs.join(' ')}"`),
  ];
  return `${lines.join('\n')}\n`;
}
