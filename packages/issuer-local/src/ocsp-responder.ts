/**
 * Signs OCSP responses for certificates of the issuing CA. By default through a delegated responder
 * (RFC 6960 4.2.2.2): a short-lived certificate issued by the CA with the OCSPSigning EKU and
 * id-pkix-ocsp-nocheck, whose key is kept in the secret store and replaced when a third of its
 * lifetime is left, so the CA key signs a responder certificate a week rather than every response.
 * With `ocsp_responder: ca` the CA key signs responses itself.
 */
import { createHash, type KeyObject } from 'node:crypto';
import {
  type Clock,
  ConnectorError,
  type ConnectorLogger,
  type ConnectorSecretStore,
  MalformedInputError,
  type OcspSignRequest,
} from '@certctl/core';
import {
  buildOcspResponderCertificate,
  createOcspIssuerMatcher,
  createOcspResponseSigner,
  derToPem,
  exportPrivateKeyPem,
  exportSpki,
  generateKeyPair,
  importPrivateKey,
  type OcspCertStatus,
  type OcspResponseSigner,
  parseCertificate,
  toKeyObject,
} from '@certctl/pki';
import { CONNECTOR } from './connector-name.js';
import { crlReasonOf } from './crl-reason.js';
import type { IssuingCa } from './issuing-ca.js';
import { publicKeysMatch } from './key-match.js';

/** Secret-store entry holding the delegated responder's certificate and key. */
export const OCSP_RESPONDER_SECRET = 'ocsp-responder';
export const OCSP_RESPONDER_SUBJECT = 'CN=certctl OCSP Responder';

interface StoredResponder {
  format: 1;
  /** SHA-256 of the CA certificate that issued it: a new CA means a new responder. */
  ca_sha256: string;
  certificate_pem: string;
  private_key_pem: string;
}

interface ActiveResponder {
  signer: OcspResponseSigner;
  /** When to replace it: after two thirds of its lifetime. */
  rotateAt: number;
  certificatePem: string;
}

export interface OcspResponderOptions {
  mode: 'delegated' | 'ca';
  validityDays: number;
  secrets: ConnectorSecretStore;
  clock: Clock;
  logger: ConnectorLogger;
}

export interface OcspResponder {
  sign(request: OcspSignRequest): Promise<Uint8Array>;
  /** The certificate that signs responses (the responder's, or the CA's in `ca` mode), PEM. */
  signerCertificatePem(): Promise<string>;
}

/** Relying parties with a slow clock still accept a responder made a moment ago. */
const BACKDATE_MS = 5 * 60_000;
const DAY_MS = 86_400_000;

const caDigest = (ca: IssuingCa): string => createHash('sha256').update(ca.certificate.der).digest('hex');

function rotationTime(notBefore: Date, notAfter: Date): number {
  return notBefore.getTime() + ((notAfter.getTime() - notBefore.getTime()) * 2) / 3;
}

function certStatusOf(request: OcspSignRequest): OcspCertStatus {
  switch (request.status) {
    case 'good':
      return { status: 'good' };
    case 'unknown':
      return { status: 'unknown' };
    case 'revoked':
      if (!request.revokedAt) {
        throw new MalformedInputError({
          connector: CONNECTOR,
          inputKind: 'ocsp-sign-request',
          message: `serial ${request.serial}: a revoked status needs revokedAt`,
        });
      }
      return {
        status: 'revoked',
        revokedAt: request.revokedAt,
        ...(request.reason === undefined ? {} : { reason: crlReasonOf(request.reason) }),
      };
    default:
      throw new MalformedInputError({
        connector: CONNECTOR,
        inputKind: 'ocsp-sign-request',
        message: `unknown certificate status ${JSON.stringify((request as { status: unknown }).status)}`,
      });
  }
}

export function createOcspResponder(ca: IssuingCa, options: OcspResponderOptions): OcspResponder {
  const { clock, secrets, logger } = options;
  const fingerprint = caDigest(ca);
  let active: ActiveResponder | undefined;
  // The CA's name and key hashes, computed once rather than per signed answer.
  const issuerHashes = createOcspIssuerMatcher(ca.certificate.der);
  let refreshing: Promise<ActiveResponder> | undefined;

  const fromStored = async (text: string): Promise<ActiveResponder | undefined> => {
    try {
      const stored = JSON.parse(text) as StoredResponder;
      if (stored.format !== 1 || stored.ca_sha256 !== fingerprint) return undefined;
      const certificate = parseCertificate(stored.certificate_pem);
      const key: KeyObject = toKeyObject(await importPrivateKey(stored.private_key_pem));
      if (!publicKeysMatch(key, certificate.spki)) return undefined;
      const rotateAt = rotationTime(certificate.notBefore, certificate.notAfter);
      if (clock.now().getTime() >= rotateAt) return undefined;
      return {
        signer: createOcspResponseSigner({ responderCertificate: certificate.der, signingKey: key }),
        rotateAt,
        certificatePem: certificate.pem,
      };
    } catch (cause) {
      logger.warn({ err: (cause as Error).message }, 'the stored OCSP responder is unreadable; issuing a new one');
      return undefined;
    }
  };

  const issueResponder = async (): Promise<ActiveResponder> => {
    const now = clock.now().getTime();
    const caNotBefore = ca.certificate.notBefore.getTime();
    const caNotAfter = ca.certificate.notAfter.getTime();
    const notBefore = new Date(Math.floor(Math.max(now - BACKDATE_MS, caNotBefore) / 1000) * 1000);
    const notAfter = new Date(Math.floor(Math.min(now + options.validityDays * DAY_MS, caNotAfter) / 1000) * 1000);
    if (notAfter.getTime() <= now) {
      throw new ConnectorError({
        connector: CONNECTOR,
        message: `the issuing CA expires on ${ca.certificate.notAfter.toISOString()}: no OCSP responder can be issued under it`,
      });
    }
    const keys = await generateKeyPair({ algorithm: 'ecdsa-p256' });
    const key = toKeyObject(keys.privateKey);
    const der = buildOcspResponderCertificate({
      issuerCertificate: ca.certificate.der,
      issuerKey: ca.privateKey,
      responderPublicKeySpki: exportSpki(keys.publicKey),
      subject: OCSP_RESPONDER_SUBJECT,
      notBefore,
      notAfter,
    });
    const certificatePem = derToPem(der, 'CERTIFICATE');
    const stored: StoredResponder = {
      format: 1,
      ca_sha256: fingerprint,
      certificate_pem: certificatePem,
      private_key_pem: exportPrivateKeyPem(key),
    };
    await secrets.set(OCSP_RESPONDER_SECRET, JSON.stringify(stored));
    logger.info({ notAfter: notAfter.toISOString() }, 'issued a delegated OCSP responder certificate');
    return {
      signer: createOcspResponseSigner({ responderCertificate: der, signingKey: key }),
      rotateAt: rotationTime(notBefore, notAfter),
      certificatePem,
    };
  };

  const refresh = async (): Promise<ActiveResponder> => {
    const stored = await secrets.get(OCSP_RESPONDER_SECRET);
    return (stored === undefined ? undefined : await fromStored(stored)) ?? (await issueResponder());
  };

  const current = async (): Promise<ActiveResponder> => {
    if (options.mode === 'ca') {
      active ??= {
        signer: createOcspResponseSigner({
          responderCertificate: ca.certificate.der,
          signingKey: ca.privateKey,
          includeResponderCertificate: false,
        }),
        rotateAt: Number.POSITIVE_INFINITY,
        certificatePem: ca.certificate.pem,
      };
      return active;
    }
    if (active && clock.now().getTime() < active.rotateAt) return active;
    refreshing ??= refresh()
      .then((next) => {
        active = next;
        return next;
      })
      .finally(() => {
        refreshing = undefined;
      });
    return refreshing;
  };

  return {
    async sign(request) {
      const responder = await current();
      const certId = issuerHashes.certId(request.serial, request.certIdHashAlgorithm === 'SHA-256' ? 'sha256' : 'sha1');
      return responder.signer.sign({
        responses: [
          {
            certId,
            certStatus: certStatusOf(request),
            thisUpdate: request.thisUpdate,
            nextUpdate: request.nextUpdate,
          },
        ],
        nonce: request.nonce,
        producedAt: clock.now(),
      });
    },
    async signerCertificatePem() {
      return (await current()).certificatePem;
    },
  };
}
