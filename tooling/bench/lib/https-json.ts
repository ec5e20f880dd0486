/** JSON over HTTPS with keep-alive for the suites that drive a server: status, parsed body, latency. */
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:https';

// biome-ignore lint/suspicious/noExplicitAny: API JSON, read loosely by a benchmark
export type Json = any;

export interface JsonClient {
  call(method: string, path: string, options?: { body?: unknown; key?: string }): Promise<JsonAnswer>;
  destroy(): void;
}

export interface JsonAnswer {
  status: number;
  json: Json;
  ms: number;
}

export function jsonClient(baseUrl: string, options: { ca?: Buffer; maxSockets: number; key: string }): JsonClient {
  const agent = new Agent({
    keepAlive: true,
    maxSockets: options.maxSockets,
    ...(options.ca ? { ca: options.ca } : { rejectUnauthorized: false }),
  });
  return {
    call: (method, path, { body, key = options.key } = {}) =>
      new Promise((resolve, reject) => {
        const started = performance.now();
        const payload = body === undefined ? undefined : JSON.stringify(body);
        const req = request(
          `${baseUrl}${path}`,
          {
            method,
            agent,
            headers: {
              authorization: `Bearer ${key}`,
              ...(payload && { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }),
            },
          },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () => {
              const text = Buffer.concat(chunks).toString();
              let json: unknown;
              try {
                json = text ? JSON.parse(text) : undefined;
              } catch {
                json = text;
              }
              resolve({ status: res.statusCode ?? 0, json, ms: performance.now() - started });
            });
          },
        );
        req.on('error', reject);
        req.end(payload);
      }),
    destroy: () => agent.destroy(),
  };
}

/** CPU seconds (user + system) a process has used so far, from /proc/<pid>/stat (Linux, 100 ticks/s). */
export function cpuSecondsOf(pid: number, ticksPerSecond = 100): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces) start after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond;
}

export function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}
