import { randomBytes } from 'node:crypto';
import { MalformedInputError } from '@certctl/core';
import {
  type ParsedCsr,
  parseCertificate,
  parseCsr,
  readCertificateSummary,
  validatePath,
  verifyCsrSignature,
} from '@certctl/pki';
import type { Actor } from '../../shared/actor.js';
import { recordAudit } from '../../shared/audit.js';
import { createCertificate, submitCsr } from '../issuance/issuance-requests.js';
import { issuerCaChain } from '../issuers/issuers.js';
import type { ServiceDeps } from '../../shared/service-deps.js';
import { ServiceError } from '../../shared/service-errors.js';
import { MESSAGE_TYPES } from './scep-attributes.js';
import { staticChallengeMatches } from './scep-challenge.js';
import type { IntuneGate } from './intune-gate.js';
import type { ScepProfileConfig } from './scep-config.js';
import { ScepFailure } from './scep-failure.js';
import { scepInventoryDefaults } from './scep-inventory-defaults.js';
import { runJobNow } from './scep-job.js';
import type { ScepRequest } from './scep-message.js';

export interface ScepIssued {
  certificateId: string;
  certificatePem: string;
  chainPem: string[];
}

export interface EnrollmentContext {
  deps: ServiceDeps;
  profile: ScepProfileConfig;
  /** Checks challenges that are not the static password (Microsoft Intune). */
  intune?: IntuneGate;
}

async function readRequestCsr(payload: Uint8Array): Promise<ParsedCsr> {
  let csr: ParsedCsr;
  try {
    csr = parseCsr(payload);
  } catch (error) {
    if (MalformedInputError.isInstance(error))
      throw new ScepFailure('badRequest', 'the envelope does not hold a PKCS#10 request');
    throw error;
  }
  if (!(await verifyCsrSignature(csr.der)))
    throw new ScepFailure('badMessageCheck', 'the CSR signature does not verify');
  return csr;
}

function scepActor(profile: ScepProfileConfig): Actor {
  return { name: `scep:${profile.path || 'default'}`, type: 'system', role: 'system' };
}

function requestedNames(csr: ParsedCsr): string[] {
  return csr.sans.filter((s) => s.type === 'dns' || s.type === 'ip').map((s) => s.value);
}

/** PKCSReq and RenewalReq: check, issue through the certificate service, return the certificate. */
export async function enrollScep(context: EnrollmentContext, request: ScepRequest): Promise<ScepIssued> {
  const { deps, profile } = context;
  if (request.messageType === MESSAGE_TYPES.certPoll) {
    // Issuance is synchronous: a poll names a transaction that already got its final answer.
    throw new ScepFailure('badCertId', 'no pending transaction (certctl answers enrolment requests synchronously)');
  }
  const csr = await readRequestCsr(request.payload);
  const signer = parseCertificate(request.signerCertificate);
  const actor = scepActor(profile);
  const audit = (outcome: string, details: Record<string, unknown>) =>
    recordAudit(
      deps.db,
      actor,
      'scep_enrollment',
      { type: 'scep_profile', id: profile.path || 'default' },
      { outcome, transaction_id: request.transactionId, common_name: csr.commonName ?? null, ...details },
    );
  try {
    if (request.messageType === MESSAGE_TYPES.renewalReq) return await renew(context, request, csr, signer, actor);
    if (!Buffer.from(signer.spki).equals(Buffer.from(csr.spki))) {
      throw new ScepFailure('badMessageCheck', 'PKCSReq must be signed with the key of the CSR');
    }
    const challenge = csr.challengePassword;
    let device: Record<string, string> = {};
    if (!staticChallengeMatches(profile.challengePassword, challenge)) {
      if (!context.intune || challenge === undefined)
        throw new ScepFailure('badRequest', 'wrong or missing challenge password');
      const claim = await context.intune.admit(deps, challenge, csr);
      device = { intune_device: claim.subject, intune_connector: claim.issuer };
    }
    if (!csr.commonName) throw new ScepFailure('badRequest', 'the CSR has no common name');
    const defaults = await scepInventoryDefaults(deps.db);
    const created = await createCertificate(deps, actor, {
      name: `scep-${profile.path || 'default'}-${csr.commonName.slice(0, 64)}-${randomBytes(4).toString('hex')}`,
      commonName: csr.commonName,
      sans: requestedNames(csr),
      tags: {},
      enrollment: { source: 'scep', profile: profile.path || 'default' },
      issuerId: profile.issuerId,
      profileId: profile.profileId ?? null,
      ...defaults,
      csrPem: csr.pem,
    }).catch(toFailure);
    const issued = await finish(deps, created.job!.id, created.certificate.id);
    await audit('issued', { certificate_id: issued.certificateId, message_type: 'PKCSReq', ...device });
    return issued;
  } catch (error) {
    if (error instanceof ScepFailure) await audit('refused', { fail_info: error.failInfo, reason: error.detail });
    throw error;
  }
}

async function renew(
  context: EnrollmentContext,
  request: ScepRequest,
  csr: ParsedCsr,
  signer: ReturnType<typeof parseCertificate>,
  actor: Actor,
): Promise<ScepIssued> {
  const { deps, profile } = context;
  const chain = await issuerCaChain(deps, profile.issuerId);
  const path = await validatePath({ leaf: signer.der, intermediates: chain, trustAnchors: chain, at: deps.now() });
  if (!path.valid)
    throw new ScepFailure('badMessageCheck', `the RenewalReq signer does not chain to the issuer: ${path.message}`);
  const serial = readCertificateSummary(signer.der).serialNumber;
  const version = await deps.db
    .selectFrom('certificateVersions')
    .innerJoin('certificates', 'certificates.id', 'certificateVersions.certificateId')
    .select(['certificates.id', 'certificates.status', 'certificates.tags'])
    .where('certificateVersions.serial', '=', serial)
    .where('certificateVersions.issuerId', '=', profile.issuerId)
    .executeTakeFirst();
  if (!version || version.status === 'revoked' || version.status === 'archived')
    throw new ScepFailure('badCertId', `the signer certificate ${serial} is not an active certificate of this issuer`);
  const job = await submitCsr(deps, actor, version.id, csr.pem).catch(toFailure);
  const issued = await finish(deps, job.id, version.id);
  await recordAudit(
    deps.db,
    actor,
    'scep_enrollment',
    { type: 'scep_profile', id: profile.path || 'default' },
    {
      outcome: 'renewed',
      transaction_id: request.transactionId,
      certificate_id: version.id,
      message_type: 'RenewalReq',
    },
  );
  return issued;
}

function toFailure(error: unknown): never {
  if (error instanceof ServiceError) throw new ScepFailure('badRequest', error.message);
  throw error;
}

async function finish(deps: ServiceDeps, jobId: string, certificateId: string): Promise<ScepIssued> {
  const job = await runJobNow(deps, jobId);
  if (job.status !== 'succeeded' || !job.resultVersionId) {
    throw new ScepFailure(
      'badRequest',
      `issuance did not complete (job ${jobId} is ${job.status}${job.lastError ? `: ${job.lastError}` : ''})`,
    );
  }
  const version = await deps.db
    .selectFrom('certificateVersions')
    .select(['certificatePem', 'chainPem'])
    .where('id', '=', job.resultVersionId)
    .executeTakeFirstOrThrow();
  const chainPem = version.chainPem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\n?/g) ?? [];
  return { certificateId, certificatePem: version.certificatePem, chainPem };
}
