/**
 * The simulated CAs: issuer connectors (the real connector contract, registered with the real
 * registry) that sign real certificates on the simulated clock, answer RFC 9773 renewal info for the
 * ACME-like issuers, and fail on the scenario's schedule (outage: 503; rate limit: 429 + Retry-After).
 */
import { defineIssuer, type IssueRequest, VendorApiError } from '../../packages/core/src/index.ts';
import {
  type CertificateAuthority,
  createCertificateAuthority,
  parseCsr,
  readCertificateSummary,
  signCertificate,
} from '../../packages/pki/src/index.ts';
import { z } from 'zod';

const HOUR = 3_600_000;

/** What the simulator steers and reads on one issuer. */
export interface SimCaState {
  name: string;
  ari: boolean;
  mode: 'up' | 'down' | 'rate_limited';
  retryAfterSeconds: number;
  /** Serials whose ARI window the CA moved to this moment (mass revocation). */
  renewNow: Map<string, Date>;
  /** Certificates this CA issued that are still current (serial → certificate id), for renewNow batches. */
  current: Map<string, string>;
  calls: { issue: number; ari: number; refused: number };
}

/** What the CA knows of each certificate (the scenario's lifetime, and the age the fleet starts at). */
export interface SimCertificatePlan {
  lifetimeMs: number;
  /** First issuance only: backdate notBefore so the fleet starts in a steady state, not all at age 0. */
  initialAgeMs: number;
  className: string;
}

export interface IssuedEvent {
  certificateId: string;
  issuer: string;
  at: Date;
  notBefore: Date;
  notAfter: Date;
  /** For renewals: remaining/lifetime of the certificate replaced, at the moment of issuance. */
  leadFraction?: number;
}

export interface SimCas {
  manifests: ReturnType<typeof defineIssuer>[];
  states: Map<string, SimCaState>;
  onIssued: (listener: (event: IssuedEvent) => void) => void;
}

export function createSimCas(options: {
  issuers: { name: string; ari: boolean }[];
  now: () => Date;
  plans: Map<string, SimCertificatePlan>;
}): SimCas {
  const states = new Map<string, SimCaState>();
  for (const issuer of options.issuers)
    states.set(issuer.name, {
      name: issuer.name,
      ari: issuer.ari,
      mode: 'up',
      retryAfterSeconds: 0,
      renewNow: new Map(),
      current: new Map(),
      calls: { issue: 0, ari: 0, refused: 0 },
    });
  const listeners: ((event: IssuedEvent) => void)[] = [];
  const authorities = new Map<string, Promise<CertificateAuthority>>();
  // The fleet reuses each certificate's CSR (server-held key), so parse each once.
  const spkis = new Map<string, Uint8Array>();

  const stateOf = (name: string): SimCaState => {
    const state = states.get(name);
    if (!state) throw new Error(`[fleet-sim] no simulated CA named ${name}`);
    return state;
  };

  const refuse = (state: SimCaState) => {
    if (state.mode === 'up') return;
    state.calls.refused++;
    if (state.mode === 'down')
      throw new VendorApiError({
        connector: 'issuer-sim-ca',
        message: `CA ${state.name} unavailable (simulated outage)`,
        status: 503,
      });
    throw new VendorApiError({
      connector: 'issuer-sim-ca',
      message: `CA ${state.name} rate limit (simulated)`,
      status: 429,
      retryAfterSeconds: state.retryAfterSeconds,
    });
  };

  const sign = async (state: SimCaState, request: IssueRequest) => {
    let authority = authorities.get(state.name);
    if (!authority) {
      authority = createCertificateAuthority({ subject: { CN: `fleet-sim ${state.name} CA` } });
      authorities.set(state.name, authority);
    }
    const { certificate, keys } = await authority;
    const certificateId = String(request.metadata?.certificate_id ?? '');
    const plan = options.plans.get(certificateId);
    if (!plan) throw new Error(`[fleet-sim] CA ${state.name} got a request for unknown certificate ${certificateId}`);
    let spki = spkis.get(request.csrPem);
    if (!spki) {
      spki = parseCsr(request.csrPem).spki;
      spkis.set(request.csrPem, spki);
    }
    const now = options.now();
    const replaced = request.replacesCertificatePem
      ? readCertificateSummary(request.replacesCertificatePem)
      : undefined;
    const notBefore = new Date(now.getTime() - (replaced ? 0 : plan.initialAgeMs));
    const leaf = await signCertificate({
      subject: { CN: request.commonName },
      publicKey: spki,
      issuer: { certificate: certificate.pem, privateKey: keys.privateKey },
      sans: request.sans.dns.map((value) => ({ type: 'dns' as const, value })),
      notBefore,
      notAfter: new Date(notBefore.getTime() + plan.lifetimeMs),
    });
    if (replaced) state.current.delete(replaced.serialNumber);
    state.current.set(leaf.serialNumber, certificateId);
    const event: IssuedEvent = {
      certificateId,
      issuer: state.name,
      at: now,
      notBefore: leaf.notBefore,
      notAfter: leaf.notAfter,
      ...(replaced && {
        leadFraction:
          (replaced.notAfter.getTime() - now.getTime()) / (replaced.notAfter.getTime() - replaced.notBefore.getTime()),
      }),
    };
    for (const listener of listeners) listener(event);
    return {
      status: 'issued' as const,
      certificatePem: leaf.pem,
      chainPem: [certificate.pem],
      serial: leaf.serialNumber,
      notBefore: leaf.notBefore,
      notAfter: leaf.notAfter,
    };
  };

  const manifest = (ari: boolean) =>
    defineIssuer({
      specificationVersion: 'v1',
      id: ari ? 'sim-acme' : 'sim-ca',
      displayName: ari ? 'Simulated ACME CA (shortlived, ARI)' : 'Simulated CA',
      version: '0.0.0',
      configSchema: z.object({ ca: z.string().min(1) }).strict(),
      capabilities: { renewalInfo: ari },
      create: (config) => {
        const state = stateOf(config.ca);
        return {
          async issue(request) {
            state.calls.issue++;
            refuse(state);
            return sign(state, request);
          },
          async getOrder(orderId) {
            throw new VendorApiError({
              connector: 'issuer-sim-ca',
              message: `unknown order ${orderId}`,
              status: 404,
            });
          },
          ...(ari && {
            async renewalInfo(certificatePem: string) {
              state.calls.ari++;
              refuse(state);
              const cert = readCertificateSummary(certificatePem);
              const moved = state.renewNow.get(cert.serialNumber);
              if (moved) return { suggestedWindow: { start: new Date(moved.getTime() - HOUR), end: moved } };
              const lifetime = cert.notAfter.getTime() - cert.notBefore.getTime();
              // Let's Encrypt's shape: a short window around two thirds of the lifetime.
              const start = cert.notBefore.getTime() + lifetime * 0.64;
              return { suggestedWindow: { start: new Date(start), end: new Date(start + lifetime * 0.04) } };
            },
          }),
        };
      },
    });

  return {
    manifests: [manifest(false), manifest(true)],
    states,
    onIssued: (listener) => listeners.push(listener),
  };
}
