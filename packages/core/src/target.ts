import type { ConnectionTestResult } from './issuer.js';

export interface DeployRequest {
  /** Leaf certificate, PEM. */
  certPem: string;
  /** Intermediates, PEM, leaf's issuer first. */
  chainPem: string;
  /** Private key, PEM (PKCS#8). Never logged, never sent off the host. */
  keyPem: string;
  /** Lowercase hex serial and SHA-256 fingerprint of the leaf, for verification and naming. */
  serial: string;
  fingerprintSha256: string;
  metadata: Record<string, string>;
  signal?: AbortSignal;
}

export interface DeployResult {
  /** False when the bytes on the target were already these (nothing written, nothing reloaded). */
  changed: boolean;
  /** What was done, for the job log: files written, command run, endpoint verified. */
  detail: string;
  /** Facts the target learned that the caller should keep, e.g. `certificate_arn` after a first cloud import. */
  metadata?: Record<string, string>;
}

export interface ValidateDeploymentRequest {
  serial: string;
  fingerprintSha256?: string;
  signal?: AbortSignal;
}

export interface ValidateDeploymentResult {
  valid: boolean;
  /** Serial actually found (served or on disk). */
  observedSerial?: string;
  detail: string;
}

export interface DryRunResult {
  /** Each step the deploy would take, in order. */
  steps: string[];
}

export interface TargetInstance {
  deploy(request: DeployRequest): Promise<DeployResult>;
  validateDeployment(request: ValidateDeploymentRequest): Promise<ValidateDeploymentResult>;
  dryRun?(request: DeployRequest): Promise<DryRunResult>;
  testConnection?(options?: { signal?: AbortSignal }): Promise<ConnectionTestResult>;
  start?(): Promise<void>;
  stop?(): Promise<void>;
}
