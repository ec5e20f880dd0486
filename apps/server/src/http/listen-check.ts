import { createServer } from 'node:net';

export interface ListenAddress {
  host: string;
  port: number;
  /** The variable that sets the port, named in the error. */
  variable: string;
}

function tryBind(address: ListenAddress): Promise<NodeJS.ErrnoException | undefined> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', (error: NodeJS.ErrnoException) => resolve(error));
    probe.listen({ host: address.host, port: address.port, exclusive: true }, () => {
      probe.close(() => resolve(undefined));
    });
  });
}

/**
 * Binds and releases each address before the server creates anything (data dir, database, CA,
 * admin key), so a port already taken stops a first start with nothing half-made on disk.
 */
export async function assertCanListen(addresses: readonly ListenAddress[]): Promise<void> {
  for (const address of addresses) {
    if (address.port === 0) continue;
    const error = await tryBind(address);
    if (!error) continue;
    const why =
      error.code === 'EADDRINUSE'
        ? 'is already in use'
        : error.code === 'EACCES'
          ? 'needs privileges this process lacks'
          : `cannot be bound (${error.code ?? error.message})`;
    throw new Error(
      `port ${address.port} on ${address.host} ${why}; stop what holds it or set ${address.variable} to a free port`,
    );
  }
}
