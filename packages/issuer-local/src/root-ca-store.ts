/**
 * Self-signed mode: the root CA is created on first use and kept in the instance's secret store
 * (encrypted at rest by the app), so a restart, or a second instance over the same store, signs with
 * the same CA instead of minting a new one.
 */
import type { KeyObject } from 'node:crypto';
import { type Clock, type ConnectorLogger, type ConnectorSecretStore, ConnectorError } from '@certctl/core';
import {
  createCertificateAuthority,
  exportPrivateKeyPem,
  importPrivateKey,
  type NameInput,
  parseCertificate,
  toKeyObject,
} from '@certctl/pki';
import type { IssuingCa, IssuingCaSource } from './issuing-ca.js';
import { CONNECTOR } from './connector-name.js';
import { publicKeysMatch } from './key-match.js';
import type { LocalIssuerConfig } from './local-config.js';

/** Secret-store entry holding the root (one JSON value, so key and certificate are written together). */
export const ROOT_CA_SECRET = 'root-ca';

interface StoredRootCa {
  format: 1;
  certificate_pem: string;
  /** PKCS#8 PEM. */
  private_key_pem: string;
}

/** Relying parties with a slow clock still accept a CA made a moment ago. */
const ROOT_BACKDATE_MS = 5 * 60_000;
const DAY_MS = 86_400_000;

export interface RootCaStoreOptions {
  config: Pick<
    LocalIssuerConfig,
    'ca_common_name' | 'ca_organization' | 'ca_country' | 'ca_key_algorithm' | 'ca_validity_days'
  >;
  secrets: ConnectorSecretStore;
  clock: Clock;
  logger: ConnectorLogger;
}

export function rootSubject(config: RootCaStoreOptions['config']): NameInput {
  const pairs: [string, string][] = [];
  if (config.ca_country) pairs.push(['C', config.ca_country]);
  if (config.ca_organization) pairs.push(['O', config.ca_organization]);
  pairs.push(['CN', config.ca_common_name]);
  return pairs;
}

function storeError(message: string, cause?: unknown): ConnectorError {
  return new ConnectorError({ connector: CONNECTOR, message, cause, retryable: false });
}

async function restore(stored: string, now: Date): Promise<IssuingCa> {
  let parsed: StoredRootCa;
  try {
    parsed = JSON.parse(stored) as StoredRootCa;
  } catch (cause) {
    throw storeError(
      `the stored root CA (secret "${ROOT_CA_SECRET}") is not valid JSON; restore it from a backup`,
      cause,
    );
  }
  if (parsed.format !== 1 || typeof parsed.certificate_pem !== 'string' || typeof parsed.private_key_pem !== 'string') {
    throw storeError(`the stored root CA (secret "${ROOT_CA_SECRET}") has an unknown format; restore it from a backup`);
  }
  let certificate: ReturnType<typeof parseCertificate>;
  let signingKey: CryptoKey;
  let privateKey: KeyObject;
  try {
    certificate = parseCertificate(parsed.certificate_pem);
    signingKey = await importPrivateKey(parsed.private_key_pem);
    privateKey = toKeyObject(signingKey);
  } catch (cause) {
    throw storeError(`the stored root CA (secret "${ROOT_CA_SECRET}") cannot be read; restore it from a backup`, cause);
  }
  if (!publicKeysMatch(privateKey, certificate.spki)) {
    throw storeError(
      `the stored root CA key does not match its certificate (secret "${ROOT_CA_SECRET}"); restore it from a backup`,
    );
  }
  if (certificate.notAfter.getTime() <= now.getTime()) {
    throw storeError(
      `the root CA "${certificate.subject}" expired on ${certificate.notAfter.toISOString()}; delete the secret "${ROOT_CA_SECRET}" of this issuer to create a new root, then redistribute it to relying parties`,
    );
  }
  return { mode: 'root', certificate, parents: [], privateKey, signingKey };
}

/** A fresh root, serialised for the store. */
async function createStoredRoot(options: RootCaStoreOptions): Promise<string> {
  const { config, clock } = options;
  const now = clock.now();
  const notBefore = new Date(Math.floor((now.getTime() - ROOT_BACKDATE_MS) / 1000) * 1000);
  const authority = await createCertificateAuthority({
    subject: rootSubject(config),
    keyAlgorithm: config.ca_key_algorithm,
    notBefore,
    notAfter: new Date(notBefore.getTime() + config.ca_validity_days * DAY_MS),
  });
  const stored: StoredRootCa = {
    format: 1,
    certificate_pem: authority.certificate.pem,
    private_key_pem: exportPrivateKeyPem(authority.keys.privateKey),
  };
  return JSON.stringify(stored);
}

/** A source that reads the root from the secret store, creating and storing it the first time. */
export function rootCaSource(options: RootCaStoreOptions): IssuingCaSource {
  return {
    description: 'self-signed root in the secret store',
    async load() {
      const existing = await options.secrets.get(ROOT_CA_SECRET);
      if (existing !== undefined) {
        const ca = await restore(existing, options.clock.now());
        warnOnConfigDrift(ca, options);
        return ca;
      }
      const json = await createStoredRoot(options);
      await options.secrets.set(ROOT_CA_SECRET, json);
      // Another process over the same store may have written first; whatever is stored now is the CA.
      const stored = (await options.secrets.get(ROOT_CA_SECRET)) ?? json;
      const ca = await restore(stored, options.clock.now());
      options.logger.info(
        {
          subject: ca.certificate.subject,
          notAfter: ca.certificate.notAfter.toISOString(),
          keyAlgorithm: options.config.ca_key_algorithm,
        },
        'created the local root CA',
      );
      return ca;
    },
  };
}

function warnOnConfigDrift(ca: IssuingCa, options: RootCaStoreOptions): void {
  const wantedName = options.config.ca_common_name;
  const wantedKey = options.config.ca_key_algorithm;
  const haveKey = ca.certificate.publicKey.name;
  if (ca.certificate.subjectCommonName !== wantedName || (haveKey !== undefined && haveKey !== wantedKey)) {
    options.logger.warn(
      {
        subject: ca.certificate.subject,
        keyAlgorithm: haveKey,
        configured: { ca_common_name: wantedName, ca_key_algorithm: wantedKey },
      },
      'the stored root CA differs from the configured ca_common_name/ca_key_algorithm; it keeps signing (rotate it deliberately, relying parties trust this one)',
    );
  }
}
