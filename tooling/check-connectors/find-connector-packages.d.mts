export declare const CONNECTOR_DIR: RegExp;
export declare function findConnectorPackages(packagesDir: string): string[];
