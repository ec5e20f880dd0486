import { createHttpClient, createSsrfPolicy } from '@certctl/connector-utils';
import { parseCertificate, parseCertsOnlySignedData } from '@certctl/pki';
import { Counter } from 'prom-client';
import { newId } from '../../db/ids.js';
import type { Actor } from '../../shared/actor.js';
import { recordAudit } from '../../shared/audit.js';
import { offsetOf, type PageRequest, type PageResult } from '../../shared/pagination.js';
import type { ServiceDeps } from '../../shared/service-deps.js';
import { invalid } from '../../shared/service-errors.js';
import { inTransaction } from '../../shared/transaction.js';
import type { ScepProbeResult } from './network-scan-tables.js';
import { getNetworkScanSettings } from './network-scan-settings.js';

const PROBE_TIMEOUT_MS = 10_000;
const has = (caps: string[], name: string) => caps.some((c) => c.toLowerCase() === name.toLowerCase());

export function createScepProbeCounter(deps: ServiceDeps): Counter<'result'> {
  return new Counter({
    name: 'certctl_scep_probes_total',
    help: 'Remote SCEP probes, by result (reachable, unreachable)',
    labelNames: ['result'] as const,
    registers: [deps.metrics.registry],
  });
}

/**
 * Asks a SCEP server what it supports (GetCACaps) and which CA it enrols under (GetCACert), never
 * sending a PKIOperation, so it is safe against production. The URL passes the same address policy
 * as network scans (metadata and link-local never; loopback only with the admin's allow_loopback).
 */
export async function probeScepServer(
  deps: ServiceDeps,
  counter: Counter<'result'>,
  actor: Actor,
  targetUrl: string,
): Promise<ScepProbeResult> {
  const settings = await getNetworkScanSettings(deps.db);
  const ssrfPolicy = createSsrfPolicy({ allowPrivate: true, allowLoopback: settings.allowLoopback });
  let url: URL;
  try {
    url = ssrfPolicy.assertUrl(targetUrl);
  } catch (error) {
    throw invalid(`cannot probe ${targetUrl}: ${(error as Error).message.replace(/^\[certctl\] /, '')}`);
  }
  const client = createHttpClient({
    connector: 'scep-probe',
    userAgent: 'certctl-scep-probe',
    timeoutMs: PROBE_TIMEOUT_MS,
    ssrfPolicy,
  });
  const started = Date.now();
  const operation = (name: string) => {
    const at = new URL(url);
    at.searchParams.set('operation', name);
    return at;
  };
  let caps: string[] = [];
  let certificates: ReturnType<typeof parseCertificate>[] = [];
  let error: string | null = null;
  let reachable = false;
  try {
    const capsResponse = await client.request({ method: 'GET', url: operation('GetCACaps') });
    reachable = true;
    caps = capsResponse
      .text()
      .split(/\r?\n/)
      .map((line) => line.trim())
      .filter(Boolean)
      .slice(0, 64);
    const caResponse = await client.request({ method: 'GET', url: operation('GetCACert') });
    const type = caResponse.headers['content-type'] ?? '';
    const ders = type.includes('x-x509-ca-ra-cert') ? parseCertsOnlySignedData(caResponse.body) : [caResponse.body];
    certificates = ders.map((der) => parseCertificate(der));
  } catch (caught) {
    error = (caught instanceof Error ? caught.message : String(caught)).replace(/^\[certctl\] /, '').slice(0, 1000);
  } finally {
    await client.close();
  }
  // The CA is the certificate that signs the others (an RA certificate is issued by it), else the first CA.
  const ca =
    certificates.find((c) => c.basicConstraints?.ca && certificates.some((o) => o !== c && o.issuer === c.subject)) ??
    certificates.find((c) => c.basicConstraints?.ca) ??
    certificates[0];
  const now = deps.now();
  const row = await inTransaction(deps, async (trx) => {
    const inserted = await trx
      .insertInto('scepProbeResults')
      .values({
        id: newId('scepProbe'),
        targetUrl: url.toString(),
        reachable,
        advertisedCaps: JSON.stringify(caps),
        supportsPost: has(caps, 'POSTPKIOperation'),
        supportsSha256: has(caps, 'SHA-256'),
        supportsSha512: has(caps, 'SHA-512'),
        supportsAes: has(caps, 'AES'),
        supportsScepStandard: has(caps, 'SCEPStandard'),
        supportsRenewal: has(caps, 'Renewal'),
        caSubject: ca?.subject ?? null,
        caIssuer: ca?.issuer ?? null,
        caKeyAlgorithm: ca ? (ca.publicKey.name ?? ca.publicKey.type) : null,
        caNotAfter: ca?.notAfter ?? null,
        caDaysToExpiry: ca ? Math.floor((ca.notAfter.getTime() - now.getTime()) / 86_400_000) : null,
        chainLength: certificates.length,
        durationMs: Date.now() - started,
        error,
        probedBy: actor.name,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    await recordAudit(
      trx,
      actor,
      'scep_probe',
      { type: 'scep_probe', id: inserted.id },
      {
        target_url: inserted.targetUrl,
        reachable,
      },
    );
    return inserted;
  });
  counter.inc({ result: reachable ? 'reachable' : 'unreachable' });
  return row;
}

export async function listScepProbes(deps: ServiceDeps, page: PageRequest): Promise<PageResult<ScepProbeResult>> {
  const [data, count] = await Promise.all([
    deps.db
      .selectFrom('scepProbeResults')
      .selectAll()
      .orderBy('createdAt', 'desc')
      .orderBy('id', 'desc')
      .limit(page.perPage)
      .offset(offsetOf(page))
      .execute(),
    deps.db
      .selectFrom('scepProbeResults')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow(),
  ]);
  return { data, total: Number(count.n), ...page };
}
