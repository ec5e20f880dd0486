export interface Finding {
  rule: string;
  message: string;
}
export declare const KINDS: readonly string[];
export declare function tableKeys(readme: string): Set<string>;
export declare function checkPackageJson(pkg: Record<string, unknown>): Finding[];
export declare function checkConnectorPackage(dir: string): Promise<{ name: string; dir: string; problems: Finding[] }>;
