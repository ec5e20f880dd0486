/**
 * HTTP-01 (RFC 8555 section 8.3) files in an existing web server's document root:
 * `<webroot>/.well-known/acme-challenge/<token>` holding the key authorization, 0644 (the web
 * server must read them). Used by the ACME issuer's `http_webroot` mode and by the agent when it
 * serves an order's tokens on the target host.
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { MalformedInputError } from '@certctl/core';

const TOKEN = /^[A-Za-z0-9_-]{1,256}$/;

export interface Http01Webroot {
  readonly directory: string;
  publish(token: string, keyAuthorization: string): Promise<void>;
  /** Removes the token's file; a file already gone is fine. */
  withdraw(token: string): Promise<void>;
  close(): Promise<void>;
}

export function createHttp01Webroot(webroot: string, options: { connector: string }): Http01Webroot {
  const directory = join(webroot, '.well-known', 'acme-challenge');
  const checkToken = (token: string) => {
    // The token is base64url; anything else would be a path-traversal attempt.
    if (!TOKEN.test(token))
      throw new MalformedInputError({
        connector: options.connector,
        inputKind: 'acme-token',
        message: 'the CA sent an HTTP-01 token that is not base64url',
      });
  };
  return {
    directory,
    async publish(token, keyAuthorization) {
      checkToken(token);
      await mkdir(directory, { recursive: true, mode: 0o755 });
      await writeFile(join(directory, token), keyAuthorization, { mode: 0o644 });
    },
    async withdraw(token) {
      checkToken(token);
      await rm(join(directory, token), { force: true });
    },
    async close() {},
  };
}
