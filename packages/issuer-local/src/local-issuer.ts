/**
 * certctl's built-in CA as an issuer instance: issues synchronously from a CSR, signs CRLs and OCSP
 * responses, hands out its chain. Revocations are recorded by the platform, which passes them back
 * in through generateCrl and signOcsp; the CA itself keeps no revocation state.
 */
import {
  type ConnectionTestResult,
  type ConnectorContext,
  DeadlineExceededError,
  type GenerateCrlRequest,
  type IssuedCertificate,
  type IssueRequest,
  type IssuerInstance,
  MalformedInputError,
  type OcspSignRequest,
  type RevokeRequest,
} from '@certctl/core';
import { buildCrl, serialHexToDerContent } from '@certctl/pki';
import { CONNECTOR } from './connector-name.js';
import { crlReasonOf } from './crl-reason.js';
import { csrKey } from './csr-key.js';
import { chainPemOf, type IssuingCa, type IssuingCaSource, singleFlight } from './issuing-ca.js';
import { leafProfile } from './leaf-profile.js';
import { createLeafSigner, type LeafSigner } from './leaf-signer.js';
import { isSubCaMode, type LocalIssuerConfig } from './local-config.js';
import { createOcspResponder, type OcspResponder } from './ocsp-responder.js';
import { pkiUrlsFor } from './pki-urls.js';
import { rootCaSource } from './root-ca-store.js';
import { subCaSource } from './sub-ca-files.js';

/** The issuer instance: every optional method of the contract it supports is present, and issuing never pends. */
export interface LocalIssuer
  extends Required<
    Pick<IssuerInstance, 'revoke' | 'caChain' | 'generateCrl' | 'signOcsp' | 'testConnection' | 'start'>
  > {
  issue(request: IssueRequest): Promise<IssuedCertificate>;
  renew(request: IssueRequest): Promise<IssuedCertificate>;
  /** The issuing CA certificate, PEM (creating the root on first use in self-signed mode). */
  caCertificatePem(): Promise<string>;
}

interface Loaded {
  ca: IssuingCa;
  chainPem: string[];
  signer: LeafSigner;
  ocsp: OcspResponder;
}

function throwIfAborted(signal: AbortSignal | undefined, operation: string): void {
  if (signal?.aborted) {
    throw new DeadlineExceededError({
      connector: CONNECTOR,
      message: `${operation} was aborted before it started`,
      cause: signal.reason,
    });
  }
}

/** The CA source for a config: files in sub-CA mode, the secret store otherwise. */
export function issuingCaSourceFor(config: LocalIssuerConfig, ctx: ConnectorContext): IssuingCaSource {
  if (isSubCaMode(config)) {
    return subCaSource(
      {
        certPath: config.ca_cert_path,
        keyPath: config.ca_key_path,
        chainPath: config.ca_chain_path,
        passphrase: config.ca_key_passphrase,
      },
      ctx.clock,
    );
  }
  return rootCaSource({ config, secrets: ctx.secrets, clock: ctx.clock, logger: ctx.logger });
}

export function createLocalIssuer(config: LocalIssuerConfig, ctx: ConnectorContext): LocalIssuer {
  const source = issuingCaSourceFor(config, ctx);
  const urls = pkiUrlsFor(ctx.environment);
  if (!urls) {
    ctx.logger.warn(
      { instanceId: ctx.environment.instanceId },
      'no PKI base URL or instance id from the app: issued certificates will carry no CRL or OCSP URL',
    );
  }

  const load = singleFlight(async (): Promise<Loaded> => {
    const ca = await source.load();
    ctx.logger.info(
      { mode: ca.mode, subject: ca.certificate.subject, notAfter: ca.certificate.notAfter.toISOString() },
      `issuing CA ready (${source.description})`,
    );
    return {
      ca,
      chainPem: chainPemOf(ca),
      signer: createLeafSigner(ca),
      ocsp: createOcspResponder(ca, {
        mode: config.ocsp_responder,
        validityDays: config.ocsp_responder_validity_days,
        secrets: ctx.secrets,
        clock: ctx.clock,
        logger: ctx.logger,
      }),
    };
  });

  const issue = async (request: IssueRequest): Promise<IssuedCertificate> => {
    throwIfAborted(request.signal, 'issue');
    const [{ ca, chainPem, signer }, key] = await Promise.all([load(), csrKey(request.csrPem)]);
    const profile = leafProfile({
      request,
      validityDays: config.validity_days,
      caNotAfter: ca.certificate.notAfter,
      subjectKeyType: key.publicKey.type,
      urls,
      now: ctx.clock.now(),
    });
    const leaf = await signer.sign(key.spki, profile);
    ctx.metrics.increment('local_ca_certificates_issued_total');
    return {
      status: 'issued',
      certificatePem: leaf.pem,
      chainPem: [...chainPem],
      serial: leaf.serial,
      notBefore: leaf.notBefore,
      notAfter: leaf.notAfter,
    };
  };

  return {
    async start() {
      await load();
    },
    issue,
    renew: issue,
    async revoke(request: RevokeRequest) {
      // Nothing to tell: the platform records the revocation and feeds it to generateCrl/signOcsp.
      try {
        serialHexToDerContent(request.serial);
      } catch (cause) {
        throw new MalformedInputError({
          connector: CONNECTOR,
          inputKind: 'serial',
          message: `"${request.serial}" is not a hex serial`,
          cause,
        });
      }
    },
    async caChain(options) {
      throwIfAborted(options?.signal, 'caChain');
      return [...(await load()).chainPem];
    },
    async caCertificatePem() {
      return (await load()).ca.certificate.pem;
    },
    async generateCrl(request: GenerateCrlRequest) {
      throwIfAborted(request.signal, 'generateCrl');
      const { ca } = await load();
      return buildCrl({
        issuerCertificate: ca.certificate.der,
        signingKey: ca.privateKey,
        crlNumber: request.crlNumber,
        thisUpdate: request.thisUpdate,
        nextUpdate: request.nextUpdate,
        entries: request.entries.map((entry) => ({
          serial: entry.serial,
          revokedAt: entry.revokedAt,
          reason: crlReasonOf(entry.reason),
        })),
      });
    },
    async signOcsp(request: OcspSignRequest) {
      throwIfAborted(request.signal, 'signOcsp');
      return (await load()).ocsp.sign(request);
    },
    async testConnection(options): Promise<ConnectionTestResult> {
      throwIfAborted(options?.signal, 'testConnection');
      const { ca, chainPem } = await load();
      return {
        ok: true,
        detail: `${ca.mode === 'root' ? 'self-signed root' : 'sub-CA'} "${ca.certificate.subject}" valid until ${ca.certificate.notAfter.toISOString()}, chain of ${chainPem.length}`,
      };
    },
  };
}
