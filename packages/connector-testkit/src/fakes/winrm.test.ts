import {
  createSsrfPolicy,
  createWinRmClient,
  createWinRmPowerShellRunner,
  hasControlCharacter,
  POWERSHELL_ARGUMENTS,
  renderPowerShellScript,
} from '@certctl/connector-utils';
import { AuthenticationError } from '@certctl/core';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { createFakeWindowsHost, parsePowerShellParameters } from './windows-host.js';
import { type FakeWinRm, startFakeWinRm } from './winrm.js';

describe('PowerShell parameter tables', () => {
  it('every string comes back unchanged from its quoted literal, whatever it contains', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary' }).filter((s) => !hasControlCharacter(s)),
        fc.array(fc.string()),
        (value, list) => {
          const script = renderPowerShellScript(
            { Value: value, List: list.filter((s) => !hasControlCharacter(s)) },
            '$certctl',
          );
          const parsed = parsePowerShellParameters(script);
          expect(parsed.Value).toBe(value);
        },
      ),
    );
  });

  it('quotes what PowerShell would otherwise run: $(), backticks, double and typographic quotes', () => {
    const hostile = "x'; Remove-Item C:\\ -Recurse; '$(whoami)`n\"\u2019; calc \u2018";
    const script = renderPowerShellScript({ SiteName: hostile }, '$certctl.SiteName');
    expect(script).toContain(
      "SiteName = 'x''; Remove-Item C:\\ -Recurse; ''$(whoami)`n\"\u2019\u2019; calc \u2018\u2018'",
    );
    expect(parsePowerShellParameters(script).SiteName).toBe(hostile);
  });

  it('refuses control characters instead of quoting them', () => {
    expect(() => renderPowerShellScript({ Value: 'a\nb' }, '')).toThrow(/control characters/);
  });

  it('the fake host refuses a table entry that is not a literal', () => {
    const script = '$ErrorActionPreference = \'Stop\'\n$certctl = @{\n  Operation = "$(calc)"\n}\nbody\n';
    expect(createFakeWindowsHost().runScript(script).exitCode).toBe(1);
  });
});

const loopback = createSsrfPolicy({ connector: 'test', allowLoopback: true });

describe('WinRM client against the fake listener', () => {
  let winrm: FakeWinRm | undefined;
  afterEach(async () => {
    await winrm?.close();
    winrm = undefined;
  });
  const script = renderPowerShellScript(
    { Operation: 'CertStore.List', StoreLocation: 'LocalMachine', StoreName: 'My' },
    '',
  );

  for (const auth of ['basic', 'ntlm'] as const) {
    it(`${auth}: runs a script through Create, Command, Send, Receive, Signal, Delete`, async () => {
      const host = createFakeWindowsHost();
      winrm = await startFakeWinRm({ host, username: 'IIS01\\certctl', password: 'S3cret!pass', auth });
      const client = createWinRmClient({
        connector: 'test',
        endpoint: winrm.endpoint,
        username: 'IIS01\\certctl',
        password: 'S3cret!pass',
        auth,
        caPem: winrm.caPem,
        timeoutMs: 10_000,
        ssrfPolicy: loopback,
      });
      try {
        const result = await createWinRmPowerShellRunner(client, winrm.endpoint).run(script, { timeoutMs: 10_000 });
        expect(result.exitCode).toBe(0);
        expect(JSON.parse(result.stdout)).toEqual({ certificates: [] });
        expect(winrm.actions).toEqual(['Create', 'Command', 'Send', 'Receive', 'Signal', 'Delete']);
        expect(winrm.openShells()).toBe(0);
        const envelope = winrm.requests.find((r) => r.body.includes('/shell/Command<'))!;
        expect(envelope.headers['content-type']).toBe('application/soap+xml;charset=UTF-8');
        expect(envelope.body).toContain(`<rsp:Arguments>${POWERSHELL_ARGUMENTS.at(-1)}</rsp:Arguments>`);
        if (auth === 'basic')
          expect(winrm.requests.every((r) => r.headers.authorization?.startsWith('Basic '))).toBe(true);
        else expect(winrm.requests[0]!.headers.authorization).toMatch(/^Negotiate TlRMTVNTUAAB/);
      } finally {
        await client.close();
      }
    });

    it(`${auth}: a wrong password is an AuthenticationError that names the fix, not the password`, async () => {
      winrm = await startFakeWinRm({ host: createFakeWindowsHost(), username: 'certctl', password: 'right', auth });
      const client = createWinRmClient({
        connector: 'test',
        endpoint: winrm.endpoint,
        username: 'certctl',
        password: 'wrong-password-value',
        auth,
        caPem: winrm.caPem,
        timeoutMs: 10_000,
        ssrfPolicy: loopback,
      });
      try {
        const error = await client.run('powershell.exe', POWERSHELL_ARGUMENTS, { timeoutMs: 10_000 }).catch((e) => e);
        expect(AuthenticationError.isInstance(error)).toBe(true);
        expect(error.message).toMatch(/winrm_username\/winrm_password/);
        expect(error.message).not.toContain('wrong-password-value');
      } finally {
        await client.close();
      }
    });
  }

  it('refuses plain-HTTP WinRM', () => {
    expect(() =>
      createWinRmClient({
        connector: 't',
        endpoint: 'http://h:5985/wsman',
        username: 'u',
        password: 'p',
        auth: 'basic',
        timeoutMs: 1000,
      }),
    ).toThrow(/only used over HTTPS/);
  });

  it('a listener whose certificate is not trusted is refused', async () => {
    winrm = await startFakeWinRm({ host: createFakeWindowsHost(), username: 'u', password: 'p', auth: 'basic' });
    const client = createWinRmClient({
      connector: 't',
      endpoint: winrm.endpoint,
      username: 'u',
      password: 'p',
      auth: 'basic',
      timeoutMs: 5000,
      ssrfPolicy: loopback,
    });
    try {
      const error = await client.run('powershell.exe', POWERSHELL_ARGUMENTS, { timeoutMs: 5000 }).catch((e) => e);
      expect(String(error.message)).toMatch(/certificate|self.signed|UNABLE_TO_VERIFY/i);
    } finally {
      await client.close();
    }
  });
});
