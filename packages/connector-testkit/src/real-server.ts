import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freeLoopbackPort } from './served-certificate.js';
import { createTempDir } from './temp-dir.js';
import { wrapCommand } from './wrapped-command.js';

/** A real TLS server a test started on loopback, with what `testTargetOnRealServer` needs to drive it. */
export interface RealTargetServer<File extends string = string> {
  /** The port it presents TLS on (127.0.0.1). */
  port: number;
  /** The files the target writes, name to absolute path (e.g. `{ cert, chain, key }`). */
  files: Record<File, string>;
  /** The command that checks the server's config (plain words, for the target's config). */
  validateCommand: string;
  /** The command that reloads the server (plain words), counted by `reloads()`. */
  reloadCommand: string;
  /** How many times the reload command ran. */
  reloads(): number;
  /** Makes the next reload command reload the server and then exit 1, printing `failedReloadOutput` on stderr. */
  failNextReload(): void;
  failedReloadOutput: string;
  /** Breaks (or repairs) the server's config so the validate command fails, printing what `brokenConfigOutput` matches. */
  breakConfig(broken: boolean): void;
  brokenConfigOutput: RegExp;
  /** Waits until the server itself (its log, not the reload command) has handled `count` reloads in total. */
  waitForReloads(count: number): Promise<void>;
  /** Stops the server and removes its files. */
  stop(): Promise<void>;
}

export interface PrepareRealServerOptions {
  /** Names the server in messages and in the temp dir's name, e.g. `nginx`. */
  name: string;
  /** The server's executable; when it is missing, preparing fails saying `installHint`. */
  executable: string;
  /** How to get the executable, e.g. `apt-get install nginx`. */
  installHint: string;
}

export interface RealServerReadyOptions<File extends string> {
  files: Record<File, string>;
  validateCommand: string;
  /** The real reload (plain words, no quoting); the handle's reload command wraps it to count runs and fail on demand. */
  reloadCommand: string;
  /** What `breakConfig(true)` writes into `includePath`, and what the validate command then prints. */
  brokenConfig: { text: string; output: RegExp };
  /** How many reloads the server has handled since it started, read from its own log. */
  reloadsHandled(): number;
  /** Added to the message when `waitForReloads` times out (e.g. the server's log). */
  diagnostics?(): string;
  /** Stops the server process; the workspace is removed afterwards. */
  stop(): Promise<void>;
}

/** Where a launcher writes a real server's config, and how it turns the started server into a handle. */
export interface RealServerWorkspace {
  /** A fresh private temp dir for the server's config, certificate files and logs. */
  dir: string;
  /** A loopback port that was free a moment ago. */
  port: number;
  /** An empty file the server's config must include; `breakConfig(true)` writes the broken text into it. */
  includePath: string;
  /** The handle, once the server serves. */
  ready<File extends string>(options: RealServerReadyOptions<File>): RealTargetServer<File>;
  /** Removes the workspace (when the server did not start). */
  remove(): Promise<void>;
}

/**
 * The part every real-server launcher shares: checks the executable is installed, makes a temp dir,
 * picks a port and an include file to break the config with; `ready()` then wraps the reload command
 * (counted, armable to fail after reloading) and builds the `RealTargetServer` handle.
 */
export async function prepareRealServer(options: PrepareRealServerOptions): Promise<RealServerWorkspace> {
  if (!existsSync(options.executable)) {
    throw new Error(`${options.executable} is missing: ${options.installHint}`);
  }
  const temp = await createTempDir(`certctl-${options.name}-`);
  const dir = temp.path;
  const port = await freeLoopbackPort();
  const includePath = join(dir, 'extra.conf');
  writeFileSync(includePath, '');
  return {
    dir,
    port,
    includePath,
    remove: () => temp.remove(),
    ready(ready) {
      const reload = wrapCommand(dir, 'reload', ready.reloadCommand);
      return {
        port,
        files: ready.files,
        validateCommand: ready.validateCommand,
        reloadCommand: reload.command,
        reloads: reload.runs,
        failNextReload: reload.failNextAfterRunning,
        failedReloadOutput: reload.failedAfterRunningOutput,
        breakConfig: (broken) => writeFileSync(includePath, broken ? ready.brokenConfig.text : ''),
        brokenConfigOutput: ready.brokenConfig.output,
        async waitForReloads(count) {
          // Generous: a reload on a machine running several suites at once can take many seconds.
          const deadline = Date.now() + 30_000;
          while (ready.reloadsHandled() < count) {
            if (Date.now() > deadline) {
              const more = ready.diagnostics?.();
              throw new Error(
                `${options.name} handled ${ready.reloadsHandled()} reloads, expected ${count}${more ? `: ${more}` : ''}`,
              );
            }
            await new Promise((resolve) => setTimeout(resolve, 100));
          }
        },
        async stop() {
          try {
            await ready.stop();
          } finally {
            await temp.remove();
          }
        },
      };
    },
  };
}
