/**
 * certctl's built-in CA as an issuer instance: issues synchronously from a CSR, signs CRLs and OCSP
 * responses, hands out its chain. Revocations are recorded by the platform, which passes them back
 * in through generateCrl and signOcsp; the CA itself keeps no revocation state.
 */
import {
  type CaNode,
  type ConnectionTestResult,
  type ConnectorContext,
  type CreateCaRequest,
  DeadlineExceededError,
  type GenerateCrlRequest,
  type IssuedCertificate,
  type IssueRequest,
  type IssuerInstance,
  MalformedInputError,
  type OcspSignRequest,
  type RetireCaRequest,
  type RevokeRequest,
  UnsupportedOperationError,
} from '@certctl/core';
import { checkedCsrKey } from '@certctl/connector-utils';
import { buildCrl, serialHexToDerContent } from '@certctl/pki';
import { type CaTree, createCaTree } from './ca-tree/ca-tree.js';
import { CONNECTOR } from './connector-name.js';
import { crlReasonOf } from './crl-reason.js';
import { chainPemOf, type IssuingCa, type IssuingCaSource, singleFlight } from './issuing-ca.js';
import { leafProfile } from './leaf-profile.js';
import { createLeafSigner, type LeafSigner } from './leaf-signer.js';
import { isSubCaMode, type LocalIssuerConfig } from './local-config.js';
import { createOcspResponder, type OcspResponder } from './ocsp-responder.js';
import { pkiUrlsFor } from './pki-urls.js';
import { rootCaSource } from './root-ca-store.js';
import { subCaSource } from './sub-ca-files.js';

/** Key types a local CA certifies: those that sign (an X25519 key, say, cannot prove possession for TLS). */
const SIGNABLE_KEY_TYPES = {
  allowed: new Set(['rsa', 'rsa-pss', 'ec', 'ed25519', 'ed448']),
  advice: 'use RSA, ECDSA or Ed25519',
};

/** The issuer instance: every optional method of the contract it supports is present, and issuing never pends. */
export interface LocalIssuer
  extends Required<
    Pick<IssuerInstance, 'revoke' | 'caChain' | 'generateCrl' | 'signOcsp' | 'testConnection' | 'start'>
  > {
  /** Tree mode only (hierarchy_mode: tree); in single mode they fail with UnsupportedOperationError. */
  listCas(options?: { signal?: AbortSignal }): Promise<CaNode[]>;
  createCa(request: CreateCaRequest): Promise<CaNode>;
  setIssuingCa(id: string, options?: { signal?: AbortSignal }): Promise<CaNode>;
  retireCa(request: RetireCaRequest): Promise<CaNode>;
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

  const tree: CaTree | undefined =
    config.hierarchy_mode === 'tree'
      ? createCaTree({ top: source, secrets: ctx.secrets, clock: ctx.clock, logger: ctx.logger })
      : undefined;

  const prepare = (ca: IssuingCa): Loaded => {
    ctx.logger.info(
      { mode: ca.mode, subject: ca.certificate.subject, notAfter: ca.certificate.notAfter.toISOString() },
      `issuing CA ready (${ca.mode === 'tree' ? 'intermediate of the CA tree' : source.description})`,
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
  };

  // Single mode: one CA for the life of the instance. Tree mode: whichever CA is issuing now, each
  // prepared once (signer, chain, OCSP responder) and reused while it stays the issuing one.
  const loadSingle = singleFlight(async () => prepare(await source.load()));
  const prepared = new WeakMap<IssuingCa, Loaded>();
  const load = async (): Promise<Loaded> => {
    if (!tree) return loadSingle();
    const ca = await tree.issuingCa();
    let loaded = prepared.get(ca);
    if (!loaded) {
      loaded = prepare(ca);
      prepared.set(ca, loaded);
    }
    return loaded;
  };

  const hierarchy = (operation: string): CaTree => {
    if (!tree) {
      throw new UnsupportedOperationError({
        connector: CONNECTOR,
        operation: `${operation} (set hierarchy_mode: tree on this issuer to manage intermediates)`,
      });
    }
    return tree;
  };

  const issue = async (request: IssueRequest): Promise<IssuedCertificate> => {
    throwIfAborted(request.signal, 'issue');
    const [{ ca, chainPem, signer }, key] = await Promise.all([
      load(),
      checkedCsrKey(request.csrPem, { connector: CONNECTOR, keyTypes: SIGNABLE_KEY_TYPES }),
    ]);
    const profile = leafProfile({
      request,
      validityDays: config.validity_days,
      caNotAfter: ca.certificate.notAfter,
      subjectKeyType: key.publicKey.type,
      urls,
      now: ctx.clock.now(),
    });
    tree?.checkLeafNames(ca, profile.sans);
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
    async listCas(options) {
      throwIfAborted(options?.signal, 'listCas');
      return hierarchy('listCas').list();
    },
    async createCa(request) {
      throwIfAborted(request.signal, 'createCa');
      return hierarchy('createCa').create(request);
    },
    async setIssuingCa(id, options) {
      throwIfAborted(options?.signal, 'setIssuingCa');
      return hierarchy('setIssuingCa').setIssuing(id);
    },
    async retireCa(request) {
      throwIfAborted(request.signal, 'retireCa');
      return hierarchy('retireCa').retire(request);
    },
    async testConnection(options): Promise<ConnectionTestResult> {
      throwIfAborted(options?.signal, 'testConnection');
      const { ca, chainPem } = await load();
      return {
        ok: true,
        detail: `${{ root: 'self-signed root', 'sub-ca': 'sub-CA', tree: 'intermediate' }[ca.mode]} "${ca.certificate.subject}" valid until ${ca.certificate.notAfter.toISOString()}, chain of ${chainPem.length}`,
      };
    },
  };
}
