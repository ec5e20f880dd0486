import { describeLeaf, isSameCertificate, prepareTlsMaterial, splitCertificates } from '@certctl/connector-utils';
import {
  type ConnectorContext,
  ConnectorError,
  type DeployRequest,
  type TargetInstance,
  VendorApiError,
} from '@certctl/core';
import type { K8sSecretTargetConfig } from './k8ssecret-config.js';
import { CONNECTOR, createSecretsApi, isConflict, type SecretObject, type SecretsApi } from './secrets-api.js';

const TLS_TYPE = 'kubernetes.io/tls';
const MANAGED_BY = { 'app.kubernetes.io/managed-by': 'certctl' };
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9])?$/;

const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');
const fromB64 = (text: string | undefined) =>
  text === undefined ? undefined : Buffer.from(text, 'base64').toString('utf8');

/** The Secret's data for this deploy: tls.crt (leaf + chain), tls.key, and ca.crt when asked. */
function desiredData(request: DeployRequest, includeCa: boolean): Record<string, string> {
  const material = prepareTlsMaterial(request, CONNECTOR);
  const data: Record<string, string> = { 'tls.crt': b64(material.fullchainPem), 'tls.key': b64(material.keyPem) };
  const chain = material.chainPem ? splitCertificates(material.chainPem) : [];
  if (includeCa && chain.length > 0) data['ca.crt'] = b64(chain.at(-1)!);
  return data;
}

function sameData(secret: SecretObject | undefined, data: Record<string, string>): boolean {
  if (!secret?.data) return false;
  const keys = new Set([...Object.keys(data), ...['tls.crt', 'tls.key', 'ca.crt'].filter((k) => k in secret.data!)]);
  return [...keys].every((key) => secret.data![key] === data[key]);
}

/**
 * A kubernetes.io/tls Secret: created, or replaced with the resourceVersion just read (a concurrent
 * change is a 409, retried from a fresh read), read back and checked; on any failure after the write
 * the previous data, labels and annotations are put back (or the Secret this deploy created is deleted).
 */
export function createK8sSecretTarget(config: K8sSecretTargetConfig, ctx: ConnectorContext): TargetInstance {
  const { namespace, secret_name: name } = config;
  let client: Promise<SecretsApi> | undefined;
  const api = () => {
    client ??= createSecretsApi(config).catch((error: unknown) => {
      client = undefined;
      throw error;
    });
    return client;
  };

  const bodyFor = (
    request: DeployRequest,
    data: Record<string, string>,
    current: SecretObject | undefined,
  ): SecretObject => {
    const certificateId = request.metadata.certificate_id;
    const labels: Record<string, string> = { ...current?.metadata.labels, ...config.labels, ...MANAGED_BY };
    if (certificateId && LABEL_VALUE.test(certificateId) && certificateId.length <= 63)
      labels['certctl.io/certificate-id'] = certificateId;
    const annotations: Record<string, string> = {
      ...current?.metadata.annotations,
      ...config.annotations,
      'certctl.io/serial': request.serial,
      'certctl.io/deployed-at': ctx.clock.now().toISOString(),
      ...(certificateId ? { 'certctl.io/certificate-id': certificateId } : {}),
    };
    return {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: {
        name,
        namespace,
        ...(current?.metadata.resourceVersion ? { resourceVersion: current.metadata.resourceVersion } : {}),
        labels,
        annotations,
      },
      type: TLS_TYPE,
      data,
    };
  };

  const restore = async (
    secrets: SecretsApi,
    previous: SecretObject | undefined,
    written: SecretObject,
    signal?: AbortSignal,
  ) => {
    for (let attempt = 0; ; attempt++) {
      try {
        if (!previous) {
          await secrets.remove(written.metadata.uid, signal);
          return;
        }
        const fresh = await secrets.read(signal);
        const body: SecretObject = {
          apiVersion: 'v1',
          kind: 'Secret',
          metadata: {
            name,
            namespace,
            ...(fresh?.metadata.resourceVersion ? { resourceVersion: fresh.metadata.resourceVersion } : {}),
            labels: previous.metadata.labels,
            annotations: previous.metadata.annotations,
          },
          type: previous.type ?? TLS_TYPE,
          data: previous.data,
        };
        if (fresh) await secrets.replace(body, signal);
        else await secrets.create({ ...body, metadata: { ...body.metadata, resourceVersion: undefined } }, signal);
        return;
      } catch (error) {
        if (!isConflict(error) || attempt >= config.max_conflict_retries) throw error;
      }
    }
  };

  return {
    async deploy(request) {
      const signal = request.signal ?? ctx.signal;
      const data = desiredData(request, config.include_ca);
      const secrets = await api();
      let previous: SecretObject | undefined;
      let written: SecretObject | undefined;
      for (let attempt = 0; written === undefined; attempt++) {
        previous = await secrets.read(signal);
        if (previous && previous.type !== TLS_TYPE) {
          throw new ConnectorError({
            connector: CONNECTOR,
            message: `secret ${namespace}/${name} exists with type ${previous.type ?? 'Opaque'}, not ${TLS_TYPE}; the type cannot change: delete it or choose another secret_name`,
            retryable: false,
          });
        }
        if (sameData(previous, data)) {
          return {
            changed: false,
            detail: `serial ${request.serial}: secret ${namespace}/${name} already holds these bytes; not written`,
          };
        }
        try {
          const body = bodyFor(request, data, previous);
          written = previous ? await secrets.replace(body, signal) : await secrets.create(body, signal);
        } catch (error) {
          if (!isConflict(error)) throw error;
          if (attempt >= config.max_conflict_retries) {
            throw new VendorApiError({
              connector: CONNECTOR,
              status: 409,
              message: `secret ${namespace}/${name} changed under every one of ${attempt + 1} attempts (409 Conflict); another client keeps writing it: find it (kubectl get secret ${name} -n ${namespace} -o yaml, managedFields) and stop it`,
              cause: error,
            });
          }
          ctx.logger.info(
            { namespace, name, attempt: attempt + 1 },
            'secret changed since it was read (409); retrying from a fresh read',
          );
        }
      }

      try {
        const back = await secrets.read(signal);
        if (!sameData(back, data)) {
          throw new ConnectorError({
            connector: CONNECTOR,
            message: `reading secret ${namespace}/${name} back shows other data than was written (an admission webhook or another controller changed it)`,
          });
        }
      } catch (error) {
        const reason = (error as Error).message.replace(/^\[certctl\] \[[^\]]+\] /, '');
        try {
          await restore(secrets, previous, written, signal);
        } catch (restoreError) {
          throw new ConnectorError({
            connector: CONNECTOR,
            message: `deploy to secret ${namespace}/${name} failed (${reason}) and restoring the previous data failed too (${(restoreError as Error).message.replace(/^\[certctl\] \[[^\]]+\] /, '')}); check the Secret by hand`,
            cause: error,
          });
        }
        throw new ConnectorError({
          connector: CONNECTOR,
          message: `deploy to secret ${namespace}/${name} failed and the previous ${previous ? 'data was restored' : 'state was restored (the new Secret was deleted)'}: ${reason}`,
          cause: error,
        });
      }
      return {
        changed: true,
        detail: `serial ${request.serial}: ${previous ? 'replaced' : 'created'} secret ${namespace}/${name} (resourceVersion ${written.metadata.resourceVersion ?? '?'}) on ${secrets.server}`,
      };
    },

    async validateDeployment(request) {
      const secret = await (await api()).read(request.signal ?? ctx.signal);
      if (!secret) return { valid: false, detail: `secret ${namespace}/${name} does not exist` };
      const deployed = describeLeaf(fromB64(secret.data?.['tls.crt']) ?? '');
      if (!deployed) return { valid: false, detail: `secret ${namespace}/${name} has no certificate in tls.crt` };
      const valid = isSameCertificate(deployed, request) && secret.data?.['tls.key'] !== undefined;
      return {
        valid,
        observedSerial: deployed.serial,
        detail: valid
          ? `secret ${namespace}/${name} holds serial ${deployed.serial}`
          : `secret ${namespace}/${name} holds serial ${deployed.serial}, not the requested certificate`,
      };
    },

    async dryRun(request) {
      const data = desiredData(request, config.include_ca);
      const current = await (await api()).read(request.signal ?? ctx.signal);
      if (sameData(current, data)) return { steps: [`keep secret ${namespace}/${name}: it already holds these bytes`] };
      if (current && current.type !== TLS_TYPE) {
        return { steps: [`refuse: secret ${namespace}/${name} has type ${current.type}, not ${TLS_TYPE}`] };
      }
      return {
        steps: [
          current
            ? `replace secret ${namespace}/${name} at resourceVersion ${current.metadata.resourceVersion} (a concurrent change is retried from a fresh read)`
            : `create secret ${namespace}/${name} (type ${TLS_TYPE})`,
          `data: ${Object.keys(data).join(', ')}; annotations certctl.io/serial=${request.serial}`,
          'read it back and compare; on a mismatch or error put the previous data back',
        ],
      };
    },

    async testConnection(options) {
      const secrets = await api();
      const current = await secrets.read(options?.signal ?? ctx.signal);
      return {
        ok: true,
        detail: `${secrets.server}: secret ${namespace}/${name} ${current ? `readable (type ${current.type})` : 'does not exist yet (a deploy creates it)'}`,
      };
    },
  };
}
