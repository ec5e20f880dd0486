export declare function ensurePostgres(): Promise<string>;
export declare function stopPostgres(): Promise<void>;
export declare function aptInstall(packages: string[], options?: { because?: string }): void;
export declare function commandExists(command: string): boolean;
export declare function isPortOpen(port: number, host?: string, timeoutMs?: number): Promise<boolean>;
export declare function serviceDir(name: string): string;
export declare function startDetached(name: string, command: string, args: string[], options?: { dir?: string; env?: Record<string, string>; uid?: number; gid?: number }): number;
export declare function stopByPid(dir: string, name: string, graceMs?: number): Promise<void>;
export declare function waitForPort(port: number, options?: { host?: string; timeoutMs?: number; what?: string }): Promise<void>;
