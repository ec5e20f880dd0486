import { promises as dns, type LookupAddress } from 'node:dns';
import { ConfigValidationError, ConnectorError } from '@certctl/core';
import { cidrContains, type IpAddress, type IpCidr, parseCidr, parseIpAddress, unmapIpv4 } from './ip-address.js';

/** What an address is, for the purpose of deciding whether a connector may reach it. */
export type AddressClass =
  | 'public'
  | 'loopback'
  | 'private'
  | 'link-local'
  | 'metadata'
  | 'unspecified'
  | 'multicast'
  | 'reserved';

const range = (text: string): IpCidr => parseCidr(text)!;

// Order matters: the first matching block decides (metadata before link-local).
const IPV4_CLASSES: [IpCidr, AddressClass][] = [
  [range('0.0.0.0/8'), 'unspecified'],
  [range('127.0.0.0/8'), 'loopback'],
  [range('169.254.169.254/32'), 'metadata'],
  [range('169.254.170.2/32'), 'metadata'],
  [range('169.254.0.0/16'), 'link-local'],
  [range('10.0.0.0/8'), 'private'],
  [range('172.16.0.0/12'), 'private'],
  [range('192.168.0.0/16'), 'private'],
  [range('100.64.0.0/10'), 'private'],
  [range('224.0.0.0/4'), 'multicast'],
  [range('192.0.0.0/24'), 'reserved'],
  [range('192.0.2.0/24'), 'reserved'],
  [range('198.18.0.0/15'), 'reserved'],
  [range('198.51.100.0/24'), 'reserved'],
  [range('203.0.113.0/24'), 'reserved'],
  [range('240.0.0.0/4'), 'reserved'],
];

const IPV6_CLASSES: [IpCidr, AddressClass][] = [
  [range('::/128'), 'unspecified'],
  [range('::1/128'), 'loopback'],
  [range('fd00:ec2::254/128'), 'metadata'],
  [range('fe80::/10'), 'link-local'],
  [range('fec0::/10'), 'private'],
  [range('fc00::/7'), 'private'],
  [range('ff00::/8'), 'multicast'],
  [range('::/96'), 'reserved'],
  [range('64:ff9b:1::/48'), 'reserved'],
  [range('100::/64'), 'reserved'],
  [range('2001::/32'), 'reserved'],
  [range('2001:db8::/32'), 'reserved'],
];

const NAT64 = range('64:ff9b::/96');
const SIX_TO_FOUR = range('2002::/16');

/** Classifies a literal address; IPv4 embedded in IPv6 (mapped, NAT64, 6to4) is judged as the IPv4 it carries. */
export function classifyAddress(address: string | IpAddress): AddressClass {
  const parsed = typeof address === 'string' ? parseIpAddress(address) : address;
  if (!parsed) throw new TypeError(`not an IP address: ${String(address)}`);
  const ip = embeddedIpv4(parsed) ?? parsed;
  const table = ip.family === 4 ? IPV4_CLASSES : IPV6_CLASSES;
  for (const [cidr, kind] of table) if (cidrContains(cidr, ip)) return kind;
  if (ip.family === 4 && ip.value === 0xffffffffn) return 'reserved';
  return 'public';
}

function embeddedIpv4(ip: IpAddress): IpAddress | undefined {
  if (ip.family !== 6) return undefined;
  const unmapped = unmapIpv4(ip);
  if (unmapped.family === 4) return unmapped;
  if (cidrContains(NAT64, ip)) return { family: 4, value: ip.value & 0xffffffffn };
  if (cidrContains(SIX_TO_FOUR, ip)) return { family: 4, value: (ip.value >> 80n) & 0xffffffffn };
  return undefined;
}

/** Hostnames that reach a cloud instance's metadata service without looking like it. */
const METADATA_HOSTNAMES = new Set([
  'metadata.google.internal',
  'metadata.goog',
  'metadata',
  'instance-data',
  'instance-data.ec2.internal',
]);

export interface SsrfPolicyOptions {
  /** CIDRs (`10.1.2.0/24`, `fd12::/16`, a bare address) and hostnames (`vault.corp`, `*.corp.example`) always allowed. */
  allow?: readonly string[];
  /** Allow RFC 1918, CGNAT (100.64/10) and unique-local IPv6 (fc00::/7) addresses. */
  allowPrivate?: boolean;
  /** Allow 127.0.0.0/8 and ::1 (the app's own host). */
  allowLoopback?: boolean;
  /** Resolves a hostname to every address; defaults to `dns.lookup(host, { all: true })`. Tests inject their own. */
  resolve?: (hostname: string) => Promise<readonly LookupAddress[]>;
  /** Connector id for error messages, e.g. `issuer-digicert`. */
  connector?: string;
}

export type NetLookupCallback = (
  error: NodeJS.ErrnoException | null,
  address: string | LookupAddress[],
  family?: number,
) => void;

/** A `lookup` for `net.connect`/`tls.connect`: resolves, checks every address, answers only with checked ones. */
export type NetLookup = (hostname: string, options: unknown, callback: NetLookupCallback) => void;

export interface SsrfPolicy {
  readonly options: Readonly<SsrfPolicyOptions>;
  /** Throws unless the URL is http(s) and its host is not a refused literal address or metadata name. */
  assertUrl(url: string | URL): URL;
  /** Throws unless `address`, reached as `hostname`, is allowed. */
  assertAddress(address: string, hostname?: string): void;
  /** Resolves `hostname` and returns its addresses when every one is allowed; throws otherwise. */
  resolveChecked(hostname: string): Promise<LookupAddress[]>;
  /** `assertUrl` plus a resolution check (not pinned: prefer the pinned agent from `createSsrfAgent`). */
  checkUrl(url: string | URL): Promise<URL>;
  /** The pinned lookup to give to a socket so the connection goes to the address that was checked. */
  lookup: NetLookup;
}

/** Builds an SSRF policy: refuse everything but public addresses, unless the allow-list or flags permit. */
export function createSsrfPolicy(options: SsrfPolicyOptions = {}): SsrfPolicy {
  const allowCidrs: IpCidr[] = [];
  const allowHosts: string[] = [];
  for (const entry of options.allow ?? []) {
    const cidr = parseCidr(entry);
    if (cidr) allowCidrs.push(cidr);
    else if (/^(\*\.)?[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/i.test(entry)) allowHosts.push(entry.toLowerCase());
    else {
      throw new ConfigValidationError({
        connector: options.connector,
        issues: [{ path: 'ssrf.allow', message: `"${entry}" is neither a CIDR nor a hostname` }],
      });
    }
  }
  const resolve = options.resolve ?? ((hostname: string) => dns.lookup(hostname, { all: true, verbatim: true }));

  const hostAllowListed = (hostname: string | undefined): boolean => {
    if (!hostname) return false;
    const host = hostname.toLowerCase().replace(/\.$/, '');
    return allowHosts.some((entry) =>
      entry.startsWith('*.') ? host.endsWith(entry.slice(1)) && host.length > entry.length - 1 : host === entry,
    );
  };

  const refuse = (target: string, reason: string, hint: string): never => {
    throw new ConnectorError({
      connector: options.connector,
      message: `refused to connect to ${target}: ${reason}; ${hint}`,
      retryable: false,
    });
  };

  const assertAddress = (address: string, hostname?: string): void => {
    if (hostAllowListed(hostname)) return;
    const parsed = parseIpAddress(address);
    const target = hostname && hostname !== address ? `${hostname} (${address})` : address;
    if (!parsed) refuse(target, 'not an IP address', 'this is a bug in the resolver');
    const ip = parsed as IpAddress;
    if (allowCidrs.some((cidr) => cidrContains(cidr, ip))) return;
    const kind = classifyAddress(ip);
    if (kind === 'public') return;
    if (kind === 'loopback' && options.allowLoopback) return;
    if (kind === 'private' && options.allowPrivate) return;
    const flag = kind === 'loopback' ? 'allow_loopback' : kind === 'private' ? 'allow_private' : undefined;
    refuse(
      target,
      `${kind} address`,
      flag
        ? `set ${flag} or add it to the SSRF allow-list if this connector really must reach it`
        : 'add it to the SSRF allow-list if this connector really must reach it',
    );
  };

  const assertUrl = (input: string | URL): URL => {
    let url: URL;
    try {
      url = new URL(String(input));
    } catch (cause) {
      throw new ConfigValidationError({
        connector: options.connector,
        issues: [{ path: 'url', message: 'not a valid URL' }],
        cause,
      });
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      refuse(`${url.protocol}//${url.host}`, `scheme ${url.protocol} is not allowed`, 'only http and https URLs are');
    }
    const hostname = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
    if (parseIpAddress(hostname)) assertAddress(hostname);
    else if (METADATA_HOSTNAMES.has(hostname.toLowerCase().replace(/\.$/, '')) && !hostAllowListed(hostname)) {
      refuse(
        hostname,
        'cloud metadata service',
        'add it to the SSRF allow-list if this connector really must reach it',
      );
    }
    return url;
  };

  const resolveChecked = async (hostname: string): Promise<LookupAddress[]> => {
    const literal = parseIpAddress(hostname);
    if (literal) {
      assertAddress(hostname);
      return [{ address: hostname.replace(/^\[|\]$/g, ''), family: literal.family }];
    }
    if (METADATA_HOSTNAMES.has(hostname.toLowerCase().replace(/\.$/, '')) && !hostAllowListed(hostname)) {
      refuse(
        hostname,
        'cloud metadata service',
        'add it to the SSRF allow-list if this connector really must reach it',
      );
    }
    const addresses = [...(await resolve(hostname))];
    if (addresses.length === 0) {
      throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND', hostname });
    }
    // Every answer must pass: a mixed answer is how rebinding attacks hide a private address.
    for (const { address } of addresses) assertAddress(address, hostname);
    return addresses;
  };

  const lookup: NetLookup = (hostname, lookupOptions, callback) => {
    const opts = (typeof lookupOptions === 'number' ? { family: lookupOptions } : (lookupOptions ?? {})) as {
      family?: number | string;
      all?: boolean;
    };
    const family = opts.family === 'IPv4' ? 4 : opts.family === 'IPv6' ? 6 : Number(opts.family ?? 0);
    resolveChecked(hostname).then(
      (addresses) => {
        const usable = family === 4 || family === 6 ? addresses.filter((a) => a.family === family) : addresses;
        const first = usable[0];
        if (!first) {
          callback(Object.assign(new Error(`no IPv${family} address for ${hostname}`), { code: 'ENOTFOUND' }), '');
          return;
        }
        if (opts.all) callback(null, usable);
        else callback(null, first.address, first.family);
      },
      (error: NodeJS.ErrnoException) => callback(error, ''),
    );
  };

  return {
    options: Object.freeze({ ...options }),
    assertUrl,
    assertAddress,
    resolveChecked,
    async checkUrl(input) {
      const url = assertUrl(input);
      const hostname = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
      await resolveChecked(hostname);
      return url;
    },
    lookup,
  };
}
