import { type CertctlClient, createCertctlClient } from '@certctl/client';
import type { Command } from 'commander';
import { type CliConfig, resolveConfig } from './cli-config.js';
import { CliError, EXIT } from './exit-codes.js';
import { type Column, type OutputFormat, printValue, type Terminal } from './output.js';

/** What a command runs with: the process's streams and environment (tests pass their own). */
export interface CliIo {
  stdout: { write(text: string): void; isTTY?: boolean; columns?: number };
  stderr: { write(text: string): void; isTTY?: boolean };
  env: NodeJS.ProcessEnv;
}

export interface GlobalOptions {
  server?: string;
  apiKey?: string;
  caBundle?: string;
  config?: string;
  output: OutputFormat;
}

/** Per-invocation state: the parsed global options, a client made on first use, and output helpers. */
export class CommandContext {
  private made: CertctlClient | undefined;
  constructor(
    readonly io: CliIo,
    private readonly program: Command,
    readonly version: string,
  ) {}

  get options(): GlobalOptions {
    return this.program.opts<GlobalOptions>();
  }

  config(): CliConfig {
    return resolveConfig(this.options, this.io.env);
  }

  client(): CertctlClient {
    if (!this.made) {
      const config = this.config();
      this.made = createCertctlClient({
        serverUrl: config.serverUrl,
        apiKey: config.apiKey,
        caPem: config.caPem,
        userAgent: `certctl-cli/${this.version}`,
      });
    }
    return this.made;
  }

  get terminal(): Terminal {
    const stdout = this.io.stdout;
    return {
      write: (text) => stdout.write(text),
      columns: stdout.isTTY ? (stdout.columns ?? 80) : undefined,
      color: Boolean(stdout.isTTY) && !this.io.env.NO_COLOR,
    };
  }

  print<T>(value: T | readonly T[], columns?: readonly Column<T>[]): void {
    printValue(value, this.options.output, this.terminal, columns);
  }

  /** A line for people (progress, confirmations): stderr, so stdout stays the data. */
  note(text: string): void {
    this.io.stderr.write(`${text}\n`);
  }

  async close(): Promise<void> {
    await this.made?.close();
  }
}

/** `key=value` options (tags) into an object. */
export function keyValues(pairs: readonly string[] | undefined): Record<string, string> | undefined {
  if (!pairs?.length) return undefined;
  const out: Record<string, string> = {};
  for (const pair of pairs) {
    const at = pair.indexOf('=');
    if (at <= 0) throw new CliError(`"${pair}" is not key=value`, EXIT.usage);
    out[pair.slice(0, at)] = pair.slice(at + 1);
  }
  return out;
}

/** Collects a repeatable option into an array. */
export const repeatable = (value: string, previous: string[] = []) => [...previous, value];

/** Parses a positive integer option. */
export function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new CliError(`"${value}" is not a positive integer`, EXIT.usage);
  return n;
}
