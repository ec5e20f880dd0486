import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { MalformedInputError } from '@certctl/core';
import { withTempDir } from '@certctl/connector-testkit';
import { freePort } from '@certctl/tooling/services';
import { describe, expect, it } from 'vitest';
import { createHttp01Responder, createHttp01Webroot } from './http01-responder.js';

describe('HTTP-01 responder', () => {
  it('serves published tokens only while they are pending, and closes with the last one', async () => {
    const port = await freePort();
    const responder = createHttp01Responder({ port, host: '127.0.0.1' });
    const url = (token: string) => `http://127.0.0.1:${port}/.well-known/acme-challenge/${token}`;
    await responder.publish('tok-A', 'tok-A.thumb');
    await responder.publish('tok_B', 'tok_B.thumb');
    expect(await (await fetch(url('tok-A'))).text()).toBe('tok-A.thumb');
    expect((await fetch(url('unknown'))).status).toBe(404);
    expect((await fetch(`http://127.0.0.1:${port}/other`)).status).toBe(404);
    await responder.withdraw('tok-A');
    expect((await fetch(url('tok-A'))).status).toBe(404);
    expect(responder.listening).toBe(true);
    await responder.withdraw('tok_B');
    expect(responder.listening).toBe(false);
    await expect(fetch(url('tok_B'))).rejects.toThrow();
  });

  it('reports a busy port as a typed error naming the setting', async () => {
    const port = await freePort();
    const first = createHttp01Responder({ port, host: '127.0.0.1' });
    await first.publish('a', 'a.x');
    try {
      await expect(createHttp01Responder({ port, host: '127.0.0.1' }).publish('b', 'b.x')).rejects.toThrow(
        /could not listen on port .*http_port/,
      );
    } finally {
      await first.close();
    }
  });

  it('web root mode writes and removes the file, and refuses a token that is not base64url', async () => {
    await withTempDir(async (dir) => {
      const webroot = createHttp01Webroot(dir);
      await webroot.publish('abc_DEF-1', 'abc_DEF-1.thumb');
      const file = join(dir, '.well-known', 'acme-challenge', 'abc_DEF-1');
      expect(await readFile(file, 'utf8')).toBe('abc_DEF-1.thumb');
      expect((await stat(file)).mode & 0o777).toBe(0o644);
      await webroot.withdraw('abc_DEF-1');
      await expect(stat(file)).rejects.toThrow();
      await expect(webroot.publish('../../etc/passwd', 'x')).rejects.toThrow(MalformedInputError);
    });
  });
});
