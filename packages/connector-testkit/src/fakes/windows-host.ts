import { createHash, X509Certificate } from 'node:crypto';
import { POWERSHELL_ARGUMENTS, scriptFromPowerShellStdin } from '@certctl/connector-utils';
import type { Exec, ExecResult } from '@certctl/core';
import { parsePkcs12 } from '@certctl/pki';

/** A value of the `$certctl = @{ ... }` parameter table, as PowerShell would read it. */
export type PowerShellParameter = string | number | boolean | null | string[];

/**
 * Reads the parameter table of a generated script, refusing anything that is not a literal: a
 * single-quoted string (quotes doubled), an integer, $true/$false/$null or @('a', 'b'). A value that
 * PowerShell would expand or execute (double quotes, `$(...)`, a bare word) fails the parse.
 */
export function parsePowerShellParameters(script: string): Record<string, PowerShellParameter> {
  const block = /\n\$certctl = @\{\n([\s\S]*?)\n\}\n/.exec(script);
  if (!block) throw new Error('the script has no $certctl parameter table');
  const out: Record<string, PowerShellParameter> = {};
  const single = "'((?:[^'\\u2018\\u2019\\u201A\\u201B]|['\\u2018\\u2019\\u201A\\u201B]{2})*)'";
  const unquote = (text: string) => text.replace(/(['\u2018\u2019\u201A\u201B])\1/g, '$1');
  for (const line of block[1]!.split('\n')) {
    const m = /^ {2}([A-Z][A-Za-z0-9]*) = (.*)$/.exec(line);
    if (!m) throw new Error(`not a parameter line: ${line}`);
    const [, name, value] = m as unknown as [string, string, string];
    let parsed: PowerShellParameter;
    const quoted = new RegExp(`^${single}$`).exec(value);
    if (quoted) parsed = unquote(quoted[1]!);
    else if (/^-?\d+$/.test(value)) parsed = Number(value);
    else if (value === '$true' || value === '$false') parsed = value === '$true';
    else if (value === '$null') parsed = null;
    else if (new RegExp(`^@\\((?:${single}(?:, ${single})*)?\\)$`).test(value)) {
      parsed = [...value.matchAll(new RegExp(single, 'g'))].map((x) => unquote(x[1]!));
    } else throw new Error(`parameter ${name} is not a literal: ${value}`);
    out[name] = parsed;
  }
  return out;
}

export interface FakeWindowsCertificate {
  thumbprint: string;
  serial: string;
  commonName: string;
  notAfter: Date;
  friendlyName: string;
  archived: boolean;
  hasPrivateKey: boolean;
}

export interface FakeIisBinding {
  ipAddress: string;
  port: number;
  hostHeader: string;
  sslFlags: number;
  thumbprint: string | null;
  storeName: string | null;
}

/** One script run, as the fake host saw it: the parameters (PFX and its password blanked) and the answer. */
export interface WindowsTranscriptEntry {
  operation: string;
  parameters: Record<string, PowerShellParameter>;
  exitCode: number;
  answer: Record<string, unknown>;
}

export interface FakeWindowsHost {
  /** `LocalMachine\My` → certificates. */
  store(location: string, name: string): FakeWindowsCertificate[];
  /** IIS sites and their https bindings. */
  site(name: string): FakeIisBinding[] | undefined;
  addSite(name: string): void;
  /** Every script run, in order. */
  transcript: WindowsTranscriptEntry[];
  /**
   * A later run of `operation` fails with this PowerShell error: the next one, or the one after `skip`
   * runs; with `applied` the operation's change is made before the error.
   */
  failNext(operation: string, message: string, options?: { applied?: boolean; skip?: number }): void;
  /** Runs a generated script (what powershell.exe would do with it). */
  runScript(script: string): { exitCode: number; stdout: string; stderr: string };
  /** An Exec that plays powershell.exe with the certctl stdin bootstrap on this host. */
  exec: Exec;
}

const derToPem = (der: Uint8Array) =>
  `-----BEGIN CERTIFICATE-----\n${Buffer.from(der).toString('base64')}\n-----END CERTIFICATE-----\n`;

/**
 * A simulated Windows host that runs certctl's generated PowerShell operations on an in-memory
 * certificate store (with the Archived flag) and IIS https bindings. It reads only the literal
 * parameter table of each script (refusing anything PowerShell would expand), decodes the PFX with
 * its password, checks the thumbprint, and answers the JSON line the script body prints; the bodies
 * themselves are reviewed as fixtures in the target packages.
 */
export function createFakeWindowsHost(): FakeWindowsHost {
  const stores = new Map<string, FakeWindowsCertificate[]>();
  const sites = new Map<string, FakeIisBinding[]>();
  const transcript: WindowsTranscriptEntry[] = [];
  const faults = new Map<string, Array<{ message: string; applied: boolean; skip: number }>>();
  const storeOf = (location: unknown, name: unknown) => {
    const key = `${String(location)}\\${String(name)}`;
    let found = stores.get(key);
    if (!found) {
      found = [];
      stores.set(key, found);
    }
    return found;
  };
  const describe = (c: FakeWindowsCertificate) => ({
    thumbprint: c.thumbprint,
    serial: c.serial,
    subject: `CN=${c.commonName}`,
    notAfter: c.notAfter.toISOString(),
    friendlyName: c.friendlyName,
    archived: c.archived,
    hasPrivateKey: c.hasPrivateKey,
  });
  const findBinding = (p: Record<string, PowerShellParameter>) => {
    const bindings = sites.get(String(p.SiteName));
    if (!bindings) throw new Error(`Cannot find a web site named '${String(p.SiteName)}'.`);
    return {
      bindings,
      binding: bindings.find(
        (b) => b.ipAddress === p.IPAddress && b.port === p.Port && b.hostHeader === (p.HostHeader ?? ''),
      ),
    };
  };

  const operations: Record<string, (p: Record<string, PowerShellParameter>) => Record<string, unknown>> = {
    'CertStore.Import'(p) {
      let parsed: ReturnType<typeof parsePkcs12>;
      try {
        parsed = parsePkcs12(Buffer.from(String(p.PfxBase64), 'base64'), String(p.PfxPassword));
      } catch {
        throw new Error('The specified network password is not correct.');
      }
      const der = parsed.certificate!;
      const thumbprint = createHash('sha1').update(der).digest('hex').toUpperCase();
      if (!parsed.privateKeyPkcs8 || thumbprint !== p.Thumbprint) {
        throw new Error(`the PFX does not hold certificate ${String(p.Thumbprint)} with its key`);
      }
      const x509 = new X509Certificate(derToPem(der));
      const store = storeOf(p.StoreLocation, p.StoreName);
      let cert = store.find((c) => c.thumbprint === thumbprint);
      const imported = !cert;
      if (!cert) {
        cert = {
          thumbprint,
          serial: x509.serialNumber.toUpperCase(),
          commonName: /CN=([^\n,]+)/.exec(x509.subject)?.[1] ?? '',
          notAfter: new Date(x509.validTo),
          friendlyName: '',
          archived: false,
          hasPrivateKey: true,
        };
        store.push(cert);
      }
      if (p.FriendlyName !== null && p.FriendlyName !== undefined) cert.friendlyName = String(p.FriendlyName);
      cert.archived = false;
      for (const other of parsed.certificates.slice(1)) {
        const caThumb = createHash('sha1').update(other).digest('hex').toUpperCase();
        const ca = storeOf(p.StoreLocation, 'CA');
        if (!ca.some((c) => c.thumbprint === caThumb)) {
          const x = new X509Certificate(derToPem(other));
          ca.push({
            thumbprint: caThumb,
            serial: x.serialNumber.toUpperCase(),
            commonName: /CN=([^\n,]+)/.exec(x.subject)?.[1] ?? '',
            notAfter: new Date(x.validTo),
            friendlyName: '',
            archived: false,
            hasPrivateKey: false,
          });
        }
      }
      return { thumbprint, imported };
    },
    'CertStore.List'(p) {
      return { certificates: storeOf(p.StoreLocation, p.StoreName).map(describe) };
    },
    'CertStore.SetArchived'(p) {
      const wanted = new Set(p.Thumbprints as string[]);
      let updated = 0;
      for (const c of storeOf(p.StoreLocation, p.StoreName)) {
        if (wanted.has(c.thumbprint)) {
          c.archived = p.Archived === true;
          updated++;
        }
      }
      return { updated };
    },
    'CertStore.Remove'(p) {
      const store = storeOf(p.StoreLocation, p.StoreName);
      const wanted = new Set(p.Thumbprints as string[]);
      const kept = store.filter((c) => !wanted.has(c.thumbprint));
      const removed = store.length - kept.length;
      store.splice(0, store.length, ...kept);
      return { removed };
    },
    'CertStore.RemoveExpired'(p) {
      const store = storeOf(p.StoreLocation, p.StoreName);
      const now = new Date();
      const expired = store.filter(
        (c) => c.commonName === p.CommonName && c.notAfter < now && c.thumbprint !== p.KeepThumbprint,
      );
      store.splice(0, store.length, ...store.filter((c) => !expired.includes(c)));
      return { removed: expired.map((c) => c.thumbprint) };
    },
    'Iis.GetBinding'(p) {
      const { binding } = findBinding(p);
      return binding
        ? { exists: true, thumbprint: binding.thumbprint, storeName: binding.storeName, sslFlags: binding.sslFlags }
        : { exists: false, thumbprint: null, storeName: null, sslFlags: 0 };
    },
    'Iis.SetBinding'(p) {
      const { bindings, binding } = findBinding(p);
      const cert = storeOf('LocalMachine', p.StoreName).find((c) => c.thumbprint === p.Thumbprint);
      if (!cert)
        throw new Error(
          `A specified logon session does not exist. (certificate ${String(p.Thumbprint)} not in LocalMachine\\${String(p.StoreName)})`,
        );
      const target = binding ?? {
        ipAddress: String(p.IPAddress),
        port: Number(p.Port),
        hostHeader: String(p.HostHeader ?? ''),
        sslFlags: p.Sni ? 1 : 0,
        thumbprint: null,
        storeName: null,
      };
      if (!binding) bindings.push(target);
      target.sslFlags = p.Sni ? 1 : 0;
      target.thumbprint = String(p.Thumbprint);
      target.storeName = String(p.StoreName);
      return { created: !binding };
    },
    'Iis.RemoveBinding'(p) {
      const { bindings, binding } = findBinding(p);
      if (binding) bindings.splice(bindings.indexOf(binding), 1);
      return { removed: Boolean(binding) };
    },
  };

  const runScript = (script: string) => {
    let parameters: Record<string, PowerShellParameter>;
    try {
      parameters = parsePowerShellParameters(script);
    } catch (error) {
      return { exitCode: 1, stdout: '', stderr: `ParserError: ${(error as Error).message}` };
    }
    const operation = String(parameters.Operation);
    const recorded = {
      ...parameters,
      ...(parameters.PfxBase64 !== undefined && { PfxBase64: '<pfx>', PfxPassword: '<password>' }),
    };
    const queued = faults.get(operation);
    let fault: { message: string; applied: boolean } | undefined;
    if (queued?.[0]?.skip) queued[0].skip--;
    else fault = queued?.shift();
    let answer: Record<string, unknown>;
    let exitCode = 0;
    try {
      const run = operations[operation];
      if (!run) throw new Error(`unknown operation ${operation}`);
      if (fault && !fault.applied) throw new Error(fault.message);
      answer = run(parameters);
      if (fault) throw new Error(fault.message);
    } catch (error) {
      answer = { error: (error as Error).message };
      exitCode = 1;
    }
    transcript.push({ operation, parameters: recorded, exitCode, answer });
    return { exitCode, stdout: `${JSON.stringify(answer)}\r\n`, stderr: '' };
  };

  const exec: Exec = async (command, args, options) => {
    const base: ExecResult = { exitCode: 1, signal: null, stdout: '', stderr: '', timedOut: false, truncated: false };
    if (!/^(powershell(\.exe)?|pwsh)$/i.test(command.split(/[\\/]/).pop() ?? '')) {
      return { ...base, exitCode: 127, stderr: `${command}: not found` };
    }
    if (JSON.stringify(args) !== JSON.stringify(POWERSHELL_ARGUMENTS)) {
      return { ...base, stderr: 'unexpected powershell arguments (not the certctl stdin bootstrap)' };
    }
    const input = typeof options?.input === 'string' ? options.input : Buffer.from(options?.input ?? []).toString();
    const result = runScript(scriptFromPowerShellStdin(input));
    return { ...base, ...result };
  };

  return {
    store: (location, name) => storeOf(location, name),
    site: (name) => sites.get(name),
    addSite: (name) => void sites.set(name, sites.get(name) ?? []),
    transcript,
    failNext(operation, message, options = {}) {
      const queue = faults.get(operation) ?? [];
      queue.push({ message, applied: options.applied ?? false, skip: options.skip ?? 0 });
      faults.set(operation, queue);
    },
    runScript,
    exec,
  };
}
