import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { parseCertificate, pemToDer } from '@certctl/pki';
import { ConfigError } from '../../config/config-error.js';
import type { ScepProfileConfig } from './scep-config.js';

/** The registration authority of one SCEP profile: it decrypts requests and signs CertReps. */
export interface ScepRa {
  certificatePem: string;
  certificateDer: Uint8Array;
  key: KeyObject;
}

function readPrivateFile(path: string, variable: string): string {
  let mode: number;
  try {
    mode = statSync(path).mode;
  } catch {
    throw new ConfigError(`${variable}: cannot read ${path}`, variable);
  }
  // Group or world access to RA material lets another local user impersonate the RA.
  if ((mode & 0o077) !== 0) {
    throw new ConfigError(
      `${variable}: ${path} has mode ${(mode & 0o777).toString(8)}; run chmod 600 ${path}`,
      variable,
    );
  }
  return readFileSync(path, 'utf8');
}

/** Reads and checks a profile's RA certificate and key (0600, RSA, matching pair); refuses start-up otherwise. */
export function loadScepRa(profile: ScepProfileConfig): ScepRa {
  const certVar = `${profile.prefix}RA_CERT_PATH`;
  const keyVar = `${profile.prefix}RA_KEY_PATH`;
  const certificatePem = readPrivateFile(profile.raCertPath, certVar);
  const keyPem = readPrivateFile(profile.raKeyPath, keyVar);
  let parsed: ReturnType<typeof parseCertificate>;
  let key: KeyObject;
  try {
    parsed = parseCertificate(pemToDer(certificatePem, 'CERTIFICATE'));
  } catch {
    throw new ConfigError(`${certVar}: ${profile.raCertPath} is not a PEM certificate`, certVar);
  }
  try {
    key = createPrivateKey(keyPem);
  } catch {
    throw new ConfigError(`${keyVar}: ${profile.raKeyPath} is not a PEM private key`, keyVar);
  }
  if (key.asymmetricKeyType !== 'rsa')
    throw new ConfigError(`${keyVar}: SCEP clients encrypt to the RA with RSA; the RA key must be RSA`, keyVar);
  const ours = createPublicKey(key).export({ format: 'der', type: 'spki' });
  if (!Buffer.from(parsed.spki).equals(ours)) {
    throw new ConfigError(`${keyVar}: the key does not belong to the certificate in ${certVar}`, keyVar);
  }
  return { certificatePem: parsed.pem, certificateDer: parsed.der, key };
}
