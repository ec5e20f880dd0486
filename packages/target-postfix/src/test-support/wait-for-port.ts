import { createConnection } from 'node:net';

/** Resolves once something accepts connections on 127.0.0.1:port. */
export async function waitForPort(port: number, withinMs = 15_000): Promise<void> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = createConnection({ port, host: '127.0.0.1' });
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    if (Date.now() > deadline) throw new Error(`nothing listens on 127.0.0.1:${port} after ${withinMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
