/**
 * HTTP-01 (RFC 8555 section 8.3): the built-in responder serves key authorizations at
 * `/.well-known/acme-challenge/<token>` on `http_port` while at least one challenge is pending, and
 * closes when the last one is withdrawn. The webroot mode writes the same file into an existing web
 * server's document root instead.
 */
import { createServer, type Server } from 'node:http';
import { ConnectorUnavailableError, MalformedInputError } from '@certctl/core';
import { createHttp01Webroot as createSharedWebroot } from '@certctl/connector-utils';
import { CONNECTOR } from './connector-name.js';

const TOKEN = /^[A-Za-z0-9_-]{1,256}$/;
const PREFIX = '/.well-known/acme-challenge/';

function checkToken(token: string): void {
  // RFC 8555 section 8.3: the token is base64url; anything else would be a path-traversal attempt.
  if (!TOKEN.test(token)) {
    throw new MalformedInputError({
      connector: CONNECTOR,
      inputKind: 'acme-token',
      message: 'the CA sent an HTTP-01 token that is not base64url',
    });
  }
}

export interface Http01Publisher {
  publish(token: string, keyAuthorization: string): Promise<void>;
  withdraw(token: string): Promise<void>;
  /** Closes the responder if one is open. */
  close(): Promise<void>;
}

export function createHttp01Responder(options: {
  port: number;
  host?: string;
}): Http01Publisher & { readonly listening: boolean } {
  const tokens = new Map<string, string>();
  let server: Server | undefined;
  let opening: Promise<void> | undefined;

  const open = (): Promise<void> => {
    opening ??= new Promise<void>((resolve, reject) => {
      const s = createServer((req, res) => {
        const path = (req.url ?? '').split('?')[0] ?? '';
        const value =
          req.method === 'GET' && path.startsWith(PREFIX) ? tokens.get(path.slice(PREFIX.length)) : undefined;
        if (value === undefined) {
          res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
          return;
        }
        res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(value);
      });
      s.once('error', (error) => {
        opening = undefined;
        reject(
          new ConnectorUnavailableError({
            connector: CONNECTOR,
            message: `the HTTP-01 responder could not listen on port ${options.port}: ${(error as Error).message}; free the port or set http_port / http_webroot`,
            cause: error,
          }),
        );
      });
      s.listen(options.port, options.host, () => {
        server = s;
        resolve();
      });
    });
    return opening;
  };

  const close = async (): Promise<void> => {
    const s = server;
    server = undefined;
    opening = undefined;
    if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
  };

  return {
    get listening() {
      return server !== undefined;
    },
    async publish(token, keyAuthorization) {
      checkToken(token);
      tokens.set(token, keyAuthorization);
      await open();
    },
    async withdraw(token) {
      tokens.delete(token);
      if (tokens.size === 0) await close();
    },
    close,
  };
}

/** Writes challenge files into an existing web root (0644, the web server must read them). */
export function createHttp01Webroot(webroot: string): Http01Publisher {
  return createSharedWebroot(webroot, { connector: CONNECTOR });
}
