import {
  createSerialQueue,
  deployFailedError,
  describeLeaf,
  isSameCertificate,
  prepareTlsMaterial,
  type TlsMaterial,
  withoutConnectorPrefix,
} from '@certctl/connector-utils';
import {
  type ConnectorContext,
  type DeployRequest,
  type DeployResult,
  type TargetInstance,
  VendorApiError,
} from '@certctl/core';
import { type AcmApi, createAcmApi, normalizeAcmSerial } from './acm-api.js';
import { acmErrorCode } from './acm-errors.js';
import { type AwsAcmTargetConfig, PROVENANCE_CERTIFICATE_ID, PROVENANCE_MANAGED_BY } from './awsacm-config.js';
import { CONNECTOR } from './connector-name.js';

export type AwsAcmTarget = Required<Pick<TargetInstance, 'dryRun' | 'testConnection' | 'stop'>> & TargetInstance;

/** What ACM held before a re-import: enough to import it again (the key only if this process imported it). */
interface AcmSnapshot {
  arn: string;
  serial: string;
  certificatePem: string;
  chainPem: string;
  tags: Record<string, string>;
  keyPem: string | undefined;
}

const sameSerial = (a: string, b: string) => normalizeAcmSerial(a) === normalizeAcmSerial(b);
const sameText = (a: string, b: string) => a.replace(/\s+/g, '') === b.replace(/\s+/g, '');

/**
 * AWS Certificate Manager as a deploy target: the first deploy imports a new certificate (tags in the
 * call), later deploys re-import into the same ARN so load balancers and distributions keep it, then
 * re-apply the provenance tags. Before a re-import the current certificate, chain and tags are read;
 * on any failure after ACM accepted new bytes the previous ones are imported again. The private key
 * lives in memory only: the last one this instance imported is what a restore needs.
 */
export function createAwsAcmTarget(config: AwsAcmTargetConfig, ctx: ConnectorContext, api?: AcmApi): AwsAcmTarget {
  const acm = api ?? createAcmApi(config);
  const logger = ctx.logger.child({ connector: CONNECTOR, region: config.region });
  let learnedArn: string | undefined = config.certificate_arn;
  // The bytes this instance last imported, per ARN: the key a restore needs never touches disk.
  const imported = new Map<string, { certificatePem: string; chainPem: string; keyPem: string }>();
  const serialized = createSerialQueue();

  const tagsFor = (request: DeployRequest): Record<string, string> => ({
    ...config.tags,
    [PROVENANCE_MANAGED_BY]: 'certctl',
    ...(request.metadata.certificate_id && { [PROVENANCE_CERTIFICATE_ID]: request.metadata.certificate_id }),
  });

  /** The ARN to re-import into: pinned, learned by this instance, or found by its provenance tags. */
  const resolveArn = async (certificateId: string | undefined, signal?: AbortSignal): Promise<string | undefined> => {
    if (learnedArn) return learnedArn;
    if (!certificateId) return undefined;
    for (const arn of await acm.listImported(signal)) {
      const tags = await acm.listTags(arn, signal);
      if (tags[PROVENANCE_MANAGED_BY] === 'certctl' && tags[PROVENANCE_CERTIFICATE_ID] === certificateId) {
        logger.info({ certificate_arn: arn }, 'found the certificate imported earlier by its provenance tags');
        learnedArn = arn;
        return arn;
      }
    }
    return undefined;
  };

  const snapshotOf = async (arn: string, signal?: AbortSignal): Promise<AcmSnapshot> => {
    const facts = await acm.describe(arn, signal);
    const { certificatePem, chainPem } = await acm.getCertificate(arn, signal);
    const tags = await acm.listTags(arn, signal);
    const ours = imported.get(arn);
    const keyPem = ours && sameText(ours.certificatePem, certificatePem) ? ours.keyPem : undefined;
    return { arn, serial: facts.serial, certificatePem, chainPem, tags, keyPem };
  };

  const remember = (arn: string, material: TlsMaterial) => {
    learnedArn = arn;
    imported.set(arn, { certificatePem: material.leafPem, chainPem: material.chainPem, keyPem: material.keyPem });
  };

  /** Imports the snapshot again; returns what happened, for the error message. */
  const restore = async (snapshot: AcmSnapshot, signal?: AbortSignal): Promise<string> => {
    if (!snapshot.keyPem) {
      return `the previous certificate (serial ${snapshot.serial}) could not be restored: its private key was imported by another process, so redeploy that version`;
    }
    try {
      await acm.importCertificate(
        {
          arn: snapshot.arn,
          certificatePem: snapshot.certificatePem,
          chainPem: snapshot.chainPem,
          keyPem: snapshot.keyPem,
        },
        signal,
      );
    } catch (error) {
      ctx.metrics.increment('deploy_rollback_total', { target_type: 'awsacm', outcome: 'also_failed' });
      logger.error({ certificate_arn: snapshot.arn, error: (error as Error).message }, 'restore failed');
      return `restoring the previous certificate (serial ${snapshot.serial}) failed too: ${(error as Error).message}`;
    }
    imported.set(snapshot.arn, {
      certificatePem: snapshot.certificatePem,
      chainPem: snapshot.chainPem,
      keyPem: snapshot.keyPem,
    });
    ctx.metrics.increment('deploy_rollback_total', { target_type: 'awsacm', outcome: 'restored' });
    logger.warn({ certificate_arn: snapshot.arn, serial: snapshot.serial }, 'restored the previous certificate');
    try {
      if (Object.keys(snapshot.tags).length > 0) await acm.addTags(snapshot.arn, snapshot.tags, signal);
    } catch (error) {
      return `the previous certificate (serial ${snapshot.serial}) was imported again, but its tags could not be applied: ${withoutConnectorPrefix(error)}`;
    }
    return `the previous certificate (serial ${snapshot.serial}) was imported again`;
  };

  /** The same typed error with what happened to the previous certificate appended. */
  const failed = (error: unknown, outcome: string) => deployFailedError(CONNECTOR, error, outcome);

  async function importFresh(material: TlsMaterial, tags: Record<string, string>, signal?: AbortSignal) {
    const arn = await acm.importCertificate(
      { certificatePem: material.leafPem, chainPem: material.chainPem, keyPem: material.keyPem, tags },
      signal,
    );
    remember(arn, material);
    logger.info({ certificate_arn: arn }, 'imported a new certificate into ACM');
    return arn;
  }

  async function deploy(request: DeployRequest): Promise<DeployResult> {
    const material = prepareTlsMaterial(request, CONNECTOR);
    const leaf = describeLeaf(material.leafPem)!;
    const signal = request.signal ?? ctx.signal;
    const tags = tagsFor(request);
    let arn = await resolveArn(request.metadata.certificate_id, signal);
    if (!arn) {
      arn = await importFresh(material, tags, signal);
      return {
        changed: true,
        detail: `imported serial ${leaf.serial} into ACM as ${arn} (pin it as certificate_arn)`,
        metadata: { certificate_arn: arn },
      };
    }
    let snapshot: AcmSnapshot;
    try {
      snapshot = await snapshotOf(arn, signal);
    } catch (error) {
      // A certificate deleted out of band: only a pinned ARN is an error, a learned one is imported afresh.
      if (acmErrorCode(error) !== 'ResourceNotFoundException' || config.certificate_arn === arn) throw error;
      logger.warn({ certificate_arn: arn }, 'the certificate imported earlier is gone; importing a new one');
      learnedArn = undefined;
      arn = await importFresh(material, tags, signal);
      return {
        changed: true,
        detail: `imported serial ${leaf.serial} into ACM as ${arn}`,
        metadata: { certificate_arn: arn },
      };
    }
    const tagsInPlace = Object.entries(tags).every(([k, v]) => snapshot.tags[k] === v);
    if (
      sameSerial(snapshot.serial, leaf.serial) &&
      sameText(snapshot.certificatePem, material.leafPem) &&
      sameText(snapshot.chainPem, material.chainPem) &&
      tagsInPlace
    ) {
      remember(arn, material);
      return {
        changed: false,
        detail: `${arn} already holds serial ${leaf.serial}`,
        metadata: { certificate_arn: arn },
      };
    }
    try {
      await acm.importCertificate(
        { arn, certificatePem: material.leafPem, chainPem: material.chainPem, keyPem: material.keyPem },
        signal,
      );
    } catch (error) {
      // ACM imports atomically; a lost answer is the one case where the new bytes may be in place anyway.
      const now = await acm.describe(arn, signal).catch(() => undefined);
      if (now && !sameSerial(now.serial, snapshot.serial)) throw failed(error, await restore(snapshot, signal));
      throw failed(error, `nothing was changed: ${arn} still holds serial ${snapshot.serial}`);
    }
    try {
      // ACM does not keep tags given with a re-import (it refuses them): apply them again.
      await acm.addTags(arn, tags, signal);
      const now = await acm.describe(arn, signal);
      if (!sameSerial(now.serial, leaf.serial)) {
        throw new VendorApiError({
          connector: CONNECTOR,
          retryable: true,
          message: `after the re-import ${arn} shows serial ${now.serial}, not ${leaf.serial}: another writer is importing into this ARN`,
        });
      }
    } catch (error) {
      throw failed(error, await restore(snapshot, signal));
    }
    remember(arn, material);
    logger.info({ certificate_arn: arn, serial: leaf.serial }, 're-imported into the same ARN');
    return {
      changed: true,
      detail: `re-imported serial ${leaf.serial} into ${arn} (was ${snapshot.serial}); tags applied`,
      metadata: { certificate_arn: arn },
    };
  }

  return {
    deploy: (request) => serialized(() => deploy(request)),

    async validateDeployment(request) {
      const signal = request.signal ?? ctx.signal;
      if (!learnedArn) {
        return {
          valid: false,
          detail: 'no ACM certificate is known to this target yet (deploy first or set certificate_arn)',
        };
      }
      const facts = await acm.describe(learnedArn, signal);
      if (!sameSerial(facts.serial, request.serial)) {
        return { valid: false, observedSerial: facts.serial, detail: `${learnedArn} holds serial ${facts.serial}` };
      }
      if (request.fingerprintSha256) {
        const { certificatePem } = await acm.getCertificate(learnedArn, signal);
        const held = describeLeaf(certificatePem);
        if (!isSameCertificate(held, { serial: request.serial, fingerprintSha256: request.fingerprintSha256 })) {
          return {
            valid: false,
            observedSerial: facts.serial,
            detail: `${learnedArn} holds another certificate with that serial`,
          };
        }
      }
      return { valid: true, observedSerial: facts.serial, detail: `${learnedArn} holds serial ${facts.serial}` };
    },

    async dryRun(request) {
      const material = prepareTlsMaterial(request, CONNECTOR);
      const leaf = describeLeaf(material.leafPem)!;
      const arn = await resolveArn(request.metadata.certificate_id, request.signal ?? ctx.signal);
      if (!arn) {
        return {
          steps: [
            `ImportCertificate serial ${leaf.serial} as a new ACM certificate in ${config.region} with tags ${Object.keys(tagsFor(request)).join(', ')}`,
            'report the new certificate_arn',
          ],
        };
      }
      return {
        steps: [
          `DescribeCertificate, GetCertificate and ListTagsForCertificate on ${arn} (snapshot)`,
          `ImportCertificate serial ${leaf.serial} into ${arn} (same ARN: attached load balancers keep it)`,
          `AddTagsToCertificate ${Object.keys(tagsFor(request)).join(', ')}`,
          'DescribeCertificate to check the serial; on any failure import the snapshot again',
        ],
      };
    },

    async testConnection(options) {
      const signal = options?.signal ?? ctx.signal;
      if (config.certificate_arn) {
        const facts = await acm.describe(config.certificate_arn, signal);
        return { ok: true, detail: `ACM in ${config.region} answered; ${facts.arn} holds serial ${facts.serial}` };
      }
      const count = (await acm.listImported(signal)).length;
      return { ok: true, detail: `ACM in ${config.region} answered; ${count} imported certificate(s) visible` };
    },

    async stop() {
      imported.clear();
      acm.close();
    },
  };
}
