/**
 * Import of what a CA already holds (`listExisting`): each certificate or order becomes a managed
 * certificate with its CA order id on version 1, so renewing it re-orders at the CA. A dry run says
 * what would be imported and what would be skipped, and why. A certificate already in the inventory
 * (same fingerprint, or the same CA order on this issuer) is skipped, so a second run adds nothing.
 */
import type { ExistingCertificate } from '@certctl/core';
import { certificateFingerprint, parseCertificate } from '@certctl/pki';
import { newId } from '../../db/ids.js';
import type { Actor } from '../../shared/actor.js';
import { recordAudit } from '../../shared/audit.js';
import { sanProblem } from '../certificates/certificate-names.js';
import { statusByExpiry } from '../certificates/certificate-status.js';
import { insertCertificate } from '../certificates/certificates.js';
import { instanceRow } from '../../shared/connector-instances.js';
import type { ServiceDeps } from '../../shared/service-deps.js';
import { invalid, ServiceError } from '../../shared/service-errors.js';
import { inTransaction } from '../../shared/transaction.js';
import { blockedReason } from '../policy-rules/policy-evaluation.js';
import {
  checkExistingCertificate,
  namesOf as policyNamesOf,
  namesSubjectKey,
  recordFindings,
} from '../policy-rules/policy-enforcement.js';

export interface ImportOptions {
  dryRun: boolean;
  includeExpired: boolean;
  /** Keep only these products (the connector's `metadata.product` or `product_name`). */
  products?: string[];
  /** Keep only certificates with a name equal to or below one of these domains. */
  domains?: string[];
  /** Stop reading the CA's list after this many entries. */
  limit: number;
  ownerId?: string;
  teamId?: string;
  renewalPolicyId?: string;
  profileId?: string | null;
  agentId?: string | null;
  environment?: string;
  tags?: Record<string, string>;
}

export type SkipReason =
  | 'already_managed'
  | 'expired'
  | 'product_filtered'
  | 'domain_filtered'
  | 'unparseable'
  | 'duplicate_in_listing'
  | 'policy_violation';

export interface ImportCandidate {
  orderId: string | null;
  commonName: string;
  sans: string[];
  serial: string;
  notAfter: Date;
  product: string | null;
  /** Set when imported (or, for already_managed, the certificate that has it). */
  certificateId?: string;
}

export interface ImportSkip extends Partial<ImportCandidate> {
  reason: SkipReason;
  detail: string;
}

export interface ImportResult {
  issuerId: string;
  dryRun: boolean;
  /** Entries read from the CA. */
  scanned: number;
  /** Imported, or with a dry run: would be imported. */
  imported: ImportCandidate[];
  skipped: ImportSkip[];
}

interface Parsed {
  candidate: ImportCandidate;
  item: ExistingCertificate;
  parsed: ReturnType<typeof parseCertificate>;
  fingerprint: string;
}

function namesOf(parsed: ReturnType<typeof parseCertificate>): { commonName: string; sans: string[] } {
  const sans = parsed.sans
    .filter((n) => n.type === 'dns' || n.type === 'ip')
    .map((n) => (n.type === 'dns' ? n.value.toLowerCase() : n.value))
    .filter((n) => !sanProblem(n));
  const commonName = parsed.subjectCommonName ?? sans[0] ?? parsed.serialNumber;
  return { commonName, sans: [...new Set(sans)] };
}

function inDomains(names: string[], domains: string[]): boolean {
  const wanted = domains.map((d) => d.toLowerCase().replace(/^\*\./, '').replace(/\.$/, ''));
  return names.some((name) => {
    const n = name.toLowerCase().replace(/^\*\./, '');
    return wanted.some((d) => n === d || n.endsWith(`.${d}`));
  });
}

/** `POST /api/v1/issuers/{id}/import`: reads the CA's list outside any transaction, then imports in one. */
export async function importFromIssuer(
  deps: ServiceDeps,
  actor: Actor,
  issuerId: string,
  options: ImportOptions,
): Promise<ImportResult> {
  const issuer = await instanceRow(deps, 'issuer', issuerId);
  if (!options.dryRun) {
    const missing = (['ownerId', 'teamId', 'renewalPolicyId'] as const).filter((k) => !options[k]);
    if (missing.length > 0)
      throw invalid(
        `an import (dry_run false) needs ${missing.map((k) => k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)).join(', ')} for the certificates it creates`,
      );
  }
  const runtime = await deps.issuers.get(issuerId);
  if (!(await runtime.supports('listExisting')))
    throw new ServiceError(
      422,
      'not_supported',
      `issuer ${issuerId} (${issuer.type}) cannot list the certificates its CA holds`,
    );

  const now = deps.now();
  const skipped: ImportSkip[] = [];
  const kept: Parsed[] = [];
  const seen = new Set<string>();
  let scanned = 0;
  for await (const item of runtime.listExisting()) {
    if (scanned >= options.limit) break;
    scanned++;
    const orderId = item.orderId ?? null;
    let parsed: ReturnType<typeof parseCertificate>;
    try {
      parsed = parseCertificate(item.certificatePem);
    } catch (error) {
      skipped.push({
        orderId,
        reason: 'unparseable',
        detail: `the CA's certificate does not parse: ${(error as Error).message}`,
      });
      continue;
    }
    const { commonName, sans } = namesOf(parsed);
    const product = item.metadata.product || item.metadata.product_name || null;
    const candidate: ImportCandidate = {
      orderId,
      commonName,
      sans,
      serial: parsed.serialNumber,
      notAfter: parsed.notAfter,
      product,
    };
    const fingerprint = certificateFingerprint(parsed.der).hex;
    if (seen.has(fingerprint)) {
      skipped.push({ ...candidate, reason: 'duplicate_in_listing', detail: 'the CA listed this certificate twice' });
      continue;
    }
    seen.add(fingerprint);
    if (!options.includeExpired && parsed.notAfter.getTime() <= now.getTime()) {
      skipped.push({
        ...candidate,
        reason: 'expired',
        detail: `expired ${parsed.notAfter.toISOString()}; set include_expired to import it`,
      });
      continue;
    }
    if (options.products?.length) {
      const products = [item.metadata.product, item.metadata.product_name].filter(Boolean);
      if (!products.some((p) => options.products!.includes(p!))) {
        skipped.push({
          ...candidate,
          reason: 'product_filtered',
          detail: `product ${product ?? 'unknown'} is not in ${options.products.join(', ')}`,
        });
        continue;
      }
    }
    if (options.domains?.length && !inDomains([commonName, ...sans], options.domains)) {
      skipped.push({ ...candidate, reason: 'domain_filtered', detail: `no name under ${options.domains.join(', ')}` });
      continue;
    }
    kept.push({ candidate, item, parsed, fingerprint });
  }

  const imported: ImportCandidate[] = [];
  await inTransaction(deps, async (trx) => {
    // One import per issuer at a time: a concurrent second run waits here and then sees the first one's rows.
    await trx.selectFrom('issuers').select('id').where('id', '=', issuerId).forUpdate().executeTakeFirstOrThrow();
    const policy = options.renewalPolicyId
      ? await trx
          .selectFrom('renewalPolicies')
          .select('renewalWindowDays')
          .where('id', '=', options.renewalPolicyId)
          .executeTakeFirst()
      : undefined;
    for (const entry of kept) {
      const { candidate, parsed, fingerprint, item } = entry;
      let existing = await trx
        .selectFrom('certificateVersions')
        .select('certificateId')
        .where('fingerprintSha256', '=', fingerprint)
        .executeTakeFirst();
      if (!existing && candidate.orderId)
        existing = await trx
          .selectFrom('certificateVersions')
          .select('certificateId')
          .where('issuerId', '=', issuerId)
          .where('caOrderId', '=', candidate.orderId)
          .executeTakeFirst();
      if (existing) {
        skipped.push({
          ...candidate,
          certificateId: existing.certificateId,
          reason: 'already_managed',
          detail: `managed as certificate ${existing.certificateId}`,
        });
        continue;
      }
      // Certificates an enforcing policy forbids are not brought under management.
      const facts = {
        commonName: candidate.commonName,
        sans: candidate.sans,
        issuerId,
        environment: options.environment ?? '',
        ownerId: options.ownerId ?? '',
        teamId: options.teamId ?? '',
        tags: options.tags ?? {},
        renewalPolicyId: options.renewalPolicyId ?? '',
      };
      const findings = await checkExistingCertificate(trx, {
        certificate: facts,
        key: { algorithm: parsed.publicKey.type, bits: parsed.publicKey.bits },
        notBefore: parsed.notBefore,
        notAfter: parsed.notAfter,
      });
      const enforcing = findings.filter((f) => f.rule.enforcement === 'enforcing');
      if (enforcing.length > 0) {
        skipped.push({ ...candidate, reason: 'policy_violation', detail: blockedReason(enforcing) });
        const names = policyNamesOf(facts);
        if (!options.dryRun)
          await recordFindings(
            trx,
            deps,
            actor,
            {
              subjectKey: namesSubjectKey(`import:${issuerId}`, names),
              certificateId: null,
              names,
              source: 'import',
              renewalPolicyId: options.renewalPolicyId,
              ownerId: options.ownerId,
            },
            findings,
            true,
          );
        continue;
      }
      if (options.dryRun) {
        imported.push(candidate);
        continue;
      }
      const name =
        `${candidate.commonName} (${issuerId} ${candidate.orderId ? `order ${candidate.orderId}` : `serial ${candidate.serial}`})`.slice(
          0,
          200,
        );
      const certificate = await insertCertificate(trx, actor, {
        name,
        commonName: candidate.commonName,
        sans: candidate.sans,
        environment: options.environment,
        tags: {
          ...options.tags,
          imported_from: issuerId,
          ...(candidate.orderId && { ca_order_id: candidate.orderId }),
          ...(candidate.product && { ca_product: candidate.product }),
        },
        ownerId: options.ownerId!,
        teamId: options.teamId!,
        issuerId,
        profileId: options.profileId ?? null,
        renewalPolicyId: options.renewalPolicyId!,
        agentId: options.agentId ?? null,
      });
      const versionId = newId('version');
      await trx
        .insertInto('certificateVersions')
        .values({
          id: versionId,
          certificateId: certificate.id,
          version: 1,
          issuerId,
          serial: parsed.serialNumber,
          notBefore: parsed.notBefore,
          notAfter: parsed.notAfter,
          fingerprintSha256: fingerprint,
          certificatePem: parsed.pem,
          chainPem: item.chainPem.join(''),
          csrPem: null,
          keyAlgorithm: parsed.publicKey.name ?? parsed.publicKey.type,
          keySize: parsed.publicKey.bits || null,
          jobId: null,
          caOrderId: candidate.orderId,
        })
        .execute();
      await trx
        .updateTable('certificates')
        .set({
          status: statusByExpiry('active', parsed.notAfter, now, policy?.renewalWindowDays ?? 30),
          expiresAt: parsed.notAfter,
          currentVersionId: versionId,
          updatedAt: now,
        })
        .where('id', '=', certificate.id)
        .execute();
      await recordAudit(
        trx,
        actor,
        'certificate_imported',
        { type: 'certificate', id: certificate.id },
        {
          issuer_id: issuerId,
          ca_order_id: candidate.orderId,
          serial: parsed.serialNumber,
          fingerprint_sha256: fingerprint,
        },
      );
      await recordFindings(
        trx,
        deps,
        actor,
        {
          subjectKey: `inventory:${certificate.id}`,
          certificateId: certificate.id,
          names: policyNamesOf(facts),
          source: 'import',
        },
        findings,
      );
      imported.push({ ...candidate, certificateId: certificate.id });
    }
    await recordAudit(
      trx,
      actor,
      options.dryRun ? 'issuer_import_previewed' : 'issuer_imported',
      { type: 'issuer', id: issuerId },
      {
        scanned,
        imported: imported.length,
        skipped: skipped.length,
        include_expired: options.includeExpired,
        ...(options.products?.length && { products: options.products }),
        ...(options.domains?.length && { domains: options.domains }),
      },
    );
  });
  deps.logger.info(
    { issuer_id: issuerId, dry_run: options.dryRun, scanned, imported: imported.length, skipped: skipped.length },
    'issuer import finished',
  );
  return { issuerId, dryRun: options.dryRun, scanned, imported, skipped };
}
