/**
 * The AWS SDK v3 ACM PCA client, imported on first use so that loading the connector costs nothing
 * and no SDK type reaches the package's public types. Credentials come from the SDK's default chain.
 */
import { type ConnectorContext, createDeadlineSignal, DeadlineExceededError } from '@certctl/core';
import { type AcmPcaAction, acmPcaError } from './acm-pca-errors.js';
import type { AwsAcmPcaIssuerConfig } from './awsacmpca-config.js';
import { CONNECTOR } from './connector-name.js';

export interface AcmPcaClient {
  /** Sends one action (the SDK signs, retries throttling and 5xx up to 3 attempts); typed errors on failure. */
  send(action: AcmPcaAction, input: Record<string, unknown>, signal?: AbortSignal): Promise<Record<string, unknown>>;
  close(): void;
}

type Sdk = typeof import('@aws-sdk/client-acm-pca');
type SdkClient = InstanceType<Sdk['ACMPCAClient']>;

export function createAcmPcaClient(
  config: AwsAcmPcaIssuerConfig,
  ctx: Pick<ConnectorContext, 'signal'>,
  version: string,
): AcmPcaClient {
  let loaded: Promise<{ sdk: Sdk; client: SdkClient }> | undefined;
  const load = () => {
    loaded ??= import('@aws-sdk/client-acm-pca').then((sdk) => ({
      sdk,
      client: new sdk.ACMPCAClient({
        region: config.region,
        maxAttempts: 3,
        customUserAgent: `certctl-issuer-awsacmpca/${version}`,
        ...(config.endpoint_url ? { endpoint: config.endpoint_url } : {}),
      }),
    }));
    return loaded;
  };
  return {
    async send(action, input, signal) {
      const { sdk, client } = await load();
      const Command = sdk[`${action}Command`] as unknown as new (
        input: Record<string, unknown>,
      ) => Parameters<SdkClient['send']>[0];
      // Not AbortSignal.any: ctx.signal lives as long as the connector and would keep every call's
      // listener (see createDeadlineSignal); the runtime's per-call signal already follows ctx.signal.
      const deadline = createDeadlineSignal(config.request_timeout_seconds * 1000, [signal ?? ctx.signal]);
      try {
        return (await client.send(new Command(input), {
          abortSignal: deadline.signal as never,
        })) as unknown as Record<string, unknown>;
      } catch (error) {
        if (deadline.timedOut()) {
          throw new DeadlineExceededError({
            connector: CONNECTOR,
            message: `acm-pca:${action} took longer than ${config.request_timeout_seconds} s`,
            cause: error,
          });
        }
        throw acmPcaError(error, action, config.ca_arn);
      } finally {
        deadline.dispose();
      }
    },
    close() {
      loaded?.then(({ client }) => client.destroy()).catch(() => undefined);
    },
  };
}
