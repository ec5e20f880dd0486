import { randomBytes, randomUUID } from 'node:crypto';
import { generateKeyPair, signCertificate } from '@certctl/pki';
import { CompactSign } from 'jose';

/** Claims as the Intune Certificate Connector signs them (v1: no `version`). */
export interface ConnectorClaims {
  iss?: string;
  sub?: string;
  aud?: string | string[];
  iat?: number;
  nbf?: number;
  exp?: number;
  nonce?: string;
  device_name?: string;
  san_dns?: string[];
  san_rfc822?: string[];
  san_upn?: string[];
  version?: string;
  [other: string]: unknown;
}

export interface TestConnector {
  alg: 'RS256' | 'ES256';
  /** The Connector's signing certificate (what operators put in INTUNE_CONNECTOR_CERT_PATH). */
  certificatePem: string;
  privateKey: CryptoKey;
  installationId: string;
  /** A challenge for `device`: defaults are a fresh nonce, iat now, exp in 10 minutes. */
  challenge(claims?: ConnectorClaims, header?: Record<string, unknown>): Promise<string>;
}

const nowSeconds = () => Math.floor(Date.now() / 1000);

/** Stands in for the Intune Certificate Connector: a signing key and certificate that make challenges. */
export async function createTestConnector(
  alg: 'RS256' | 'ES256' = 'RS256',
  validity: { notBefore?: Date; notAfter?: Date } = {},
): Promise<TestConnector> {
  const keys = await generateKeyPair({ algorithm: alg === 'RS256' ? 'rsa-2048' : 'ecdsa-p256' });
  const installationId = randomUUID();
  const certificate = await signCertificate({
    subject: { CN: `Microsoft Intune Certificate Connector ${installationId}` },
    publicKey: keys.publicKey,
    signingKey: keys.privateKey,
    // Backdated by a day so tests that move `now` into the past still find the certificate valid
    // (without it, a loaded machine made `now - 61 s` fall before the certificate's notBefore).
    notBefore: validity.notBefore ?? new Date(Date.now() - 86_400_000),
    notAfter: validity.notAfter,
  });
  return {
    alg,
    certificatePem: certificate.pem,
    privateKey: keys.privateKey,
    installationId,
    async challenge(claims = {}, header = {}) {
      const iat = nowSeconds();
      const payload = {
        iss: installationId,
        sub: randomUUID(),
        iat,
        exp: iat + 600,
        nonce: randomBytes(16).toString('hex'),
        ...claims,
      };
      for (const [key, value] of Object.entries(payload))
        if (value === undefined) delete (payload as Record<string, unknown>)[key];
      return new CompactSign(new TextEncoder().encode(JSON.stringify(payload)))
        .setProtectedHeader({ alg, typ: 'JWT', ...header })
        .sign(keys.privateKey);
    },
  };
}
