export declare function ensurePostgres(): Promise<string>;
export declare function stopPostgres(): Promise<void>;
export interface PrivatePostgres {
  url: string;
  port: number;
  /** Starts it again after stop(). */
  start(): Promise<void>;
  /** Stops it at once (immediate mode: connections drop as when the host fails). */
  stop(): Promise<void>;
  remove(): Promise<void>;
}
export declare function startPrivatePostgres(): Promise<PrivatePostgres>;
export declare function aptInstall(packages: string[], options?: { because?: string }): void;
export declare function commandExists(command: string): boolean;
export declare function isPortOpen(port: number, host?: string, timeoutMs?: number): Promise<boolean>;
export declare function serviceDir(name: string): string;
export declare function startDetached(
  name: string,
  command: string,
  args: string[],
  options?: { dir?: string; env?: Record<string, string>; uid?: number; gid?: number },
): number;
export declare function stopByPid(dir: string, name: string, graceMs?: number): Promise<void>;
export declare function waitForPort(
  port: number,
  options?: { host?: string; timeoutMs?: number; what?: string },
): Promise<void>;
export interface StartPebbleOptions {
  /** Where pebble's VA connects for HTTP-01 (your responder's port); default a free port. */
  httpPort?: number;
  /** PEBBLE_WFE_NONCEREJECT: percent of valid nonces rejected as badNonce (default 0). */
  nonceRejectPercent?: number;
  /** PEBBLE_AUTHZREUSE: percent of valid authorizations reused (default 0). */
  authzReusePercent?: number;
  /** PEBBLE_VA_ALWAYS_VALID=1: every challenge passes unchecked. */
  alwaysValid?: boolean;
  /** Requires External Account Binding with these kid → base64url HMAC keys. */
  eabKeys?: Record<string, string>;
  env?: Record<string, string>;
}
export interface RunningPebble {
  directoryUrl: string;
  managementUrl: string;
  challtestsrvUrl: string;
  dnsPort: number;
  httpPort: number;
  tlsCaPem: string;
  tlsCaPath: string;
  rootPem(): Promise<string>;
  intermediatePem(): Promise<string>;
  issuingChainPem(): Promise<string>;
  certStatus(serialHex: string): Promise<{ Status: string; Reason?: number; [key: string]: unknown }>;
  logs(): { pebble: string; challtestsrv: string };
  stop(): Promise<void>;
}
export declare function freePort(): Promise<number>;
export declare function startPebble(options?: StartPebbleOptions): Promise<RunningPebble>;
export interface RunningSshd {
  host: string;
  port: number;
  /** The throwaway user (deleted by stop()). */
  user: string;
  uid: number;
  gid: number;
  password: string;
  /** The user's home: a fresh directory it owns, for the files a test deploys. */
  home: string;
  clientKeyPath: string;
  clientKeyPem: string;
  /** `SHA256:...` as ssh-keygen -l prints it. */
  hostKeyFingerprint: string;
  knownHostsPath: string;
  knownHostsLine: string;
  /** Writes a known_hosts file listing another key for this host; returns that key's fingerprint. */
  writeWrongKnownHosts(path: string): string;
  asUser(args: string[]): string;
  startAgent(): Promise<string>;
  log(): string;
  stop(): Promise<void>;
}
export declare function startSshd(): Promise<RunningSshd>;
export interface TlsServerOptions {
  /** A loopback (or other local) address to listen on, e.g. 127.0.0.2. */
  address: string;
  port: number;
  /** Leaf first, then the chain. */
  certPem: string;
  keyPem: string;
}
export interface RunningTlsServer {
  kind: 'nginx' | 'haproxy' | 'postfix';
  address: string;
  port: number;
  dir: string;
  stop(): Promise<void>;
}
export declare function startNginxTls(options: TlsServerOptions): Promise<
  RunningTlsServer & {
    /** The served files and the commands that check and reload this nginx (for a deploy target's config). */
    certPath: string;
    keyPath: string;
    validateCommand: string;
    reloadCommand: string;
    replace(material: { certPem: string; keyPem: string }): Promise<void>;
  }
>;
export declare function startHaproxyTls(options: TlsServerOptions): Promise<RunningTlsServer>;
export declare function startPostfixTls(options: TlsServerOptions): Promise<RunningTlsServer>;
