import { AuthenticationError, ConnectorError, DeadlineExceededError, VendorApiError } from '@certctl/core';
import type { K8sSecretTargetConfig } from './k8ssecret-config.js';

export const CONNECTOR = 'target-k8ssecret';

/** The parts of a Secret this target reads and writes (the wire shape, camelCase as the client uses). */
export interface SecretObject {
  apiVersion?: 'v1';
  kind?: 'Secret';
  metadata: {
    name: string;
    namespace: string;
    uid?: string;
    resourceVersion?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  type?: string;
  data?: Record<string, string>;
}

/** The Secret endpoints, each call bounded by the deadline and the caller's signal. */
export interface SecretsApi {
  /** The Secret, or undefined on 404. */
  read(signal?: AbortSignal): Promise<SecretObject | undefined>;
  create(body: SecretObject, signal?: AbortSignal): Promise<SecretObject>;
  /** Replaces with `body.metadata.resourceVersion` as the precondition (a stale one is a 409). */
  replace(body: SecretObject, signal?: AbortSignal): Promise<SecretObject>;
  remove(uid: string | undefined, signal?: AbortSignal): Promise<void>;
  /** Where the API server is, for messages. */
  readonly server: string;
}

/** A Kubernetes Status body from an error, when there is one. */
function statusOf(body: unknown): { message?: string; reason?: string } {
  let value = body;
  if (typeof body === 'string') {
    try {
      value = JSON.parse(body);
    } catch {
      return { message: body.slice(0, 500) };
    }
  }
  if (typeof value === 'object' && value !== null) {
    const { message, reason } = value as { message?: unknown; reason?: unknown };
    return {
      message: typeof message === 'string' ? message : undefined,
      reason: typeof reason === 'string' ? reason : undefined,
    };
  }
  return {};
}

export function isConflict(error: unknown): boolean {
  return VendorApiError.isInstance(error) && error.status === 409;
}

export function isNotFound(error: unknown): boolean {
  return VendorApiError.isInstance(error) && error.status === 404;
}

/**
 * Builds the client from the kubeconfig (or the Pod's ServiceAccount); `@kubernetes/client-node` is
 * loaded here, on first use, and never appears in this package's types.
 */
export async function createSecretsApi(config: K8sSecretTargetConfig): Promise<SecretsApi> {
  const k8s = await import('@kubernetes/client-node');
  const kc = new k8s.KubeConfig();
  try {
    if (config.kubeconfig_path) {
      kc.loadFromFile(config.kubeconfig_path);
      if (config.context) kc.setCurrentContext(config.context);
    } else {
      kc.loadFromCluster();
    }
  } catch (error) {
    throw new ConnectorError({
      connector: CONNECTOR,
      message: config.kubeconfig_path
        ? `cannot load kubeconfig_path ${config.kubeconfig_path}${config.context ? ` (context ${config.context})` : ''}: ${(error as Error).message}`
        : `cannot load the in-cluster ServiceAccount credentials: ${(error as Error).message}; outside a cluster set kubeconfig_path`,
      cause: error,
      retryable: false,
    });
  }
  const cluster = kc.getCurrentCluster();
  if (!cluster) {
    throw new ConnectorError({
      connector: CONNECTOR,
      message: `the kubeconfig has no cluster for its ${config.context ? `context ${config.context}` : 'current context'}`,
      retryable: false,
    });
  }
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const { namespace, secret_name: name } = config;
  const timeoutMs = config.timeout_seconds * 1000;
  const where = `secret ${namespace}/${name} on ${cluster.server}`;

  /** One API call: the deadline or an abort destroys the request's agent, which fails the call. */
  const call = async <T>(what: string, signal: AbortSignal | undefined, run: (options: object) => Promise<T>) => {
    signal?.throwIfAborted();
    const agents: { destroy?: () => void }[] = [];
    // The object-parameter API runs call-time middleware as its own observables: anything with toPromise().
    const resolved = <V>(value: V) => ({ toPromise: () => Promise.resolve(value) });
    const options = {
      middleware: [
        {
          pre: (context: { getAgent(): unknown }) => {
            const agent = context.getAgent() as { destroy?: () => void } | undefined;
            if (agent) agents.push(agent);
            return resolved(context);
          },
          post: (response: unknown) => resolved(response),
        },
      ],
      middlewareMergeStrategy: 'append',
    };
    let timedOut = false;
    const stop = () => {
      for (const agent of agents) agent.destroy?.();
    };
    const timer = setTimeout(() => {
      timedOut = true;
      stop();
    }, timeoutMs);
    signal?.addEventListener('abort', stop, { once: true });
    try {
      return await run(options);
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      if (timedOut) {
        throw new DeadlineExceededError({
          connector: CONNECTOR,
          message: `${what} ${where} did not answer within ${config.timeout_seconds} s`,
          cause: error,
        });
      }
      throw describeFailure(what, error);
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', stop);
    }
  };

  const describeFailure = (what: string, error: unknown): Error => {
    const code = (error as { code?: unknown }).code;
    if (typeof code !== 'number') {
      return new ConnectorError({
        connector: CONNECTOR,
        message: `${what} ${where} failed: ${(error as Error).message}`,
        cause: error,
        retryable: true,
      });
    }
    const { message, reason } = statusOf((error as { body?: unknown }).body);
    if (code === 401) {
      return new AuthenticationError({
        connector: CONNECTOR,
        message: `${cluster.server} rejected the credentials (401 Unauthorized): the token in ${config.kubeconfig_path ?? 'the ServiceAccount'} is wrong or expired`,
        cause: error,
      });
    }
    let hint = '';
    if (code === 403)
      hint = `; grant get, create and update on secrets in namespace ${namespace} (a Role and RoleBinding for the agent's identity)`;
    else if (code === 404 && /namespaces? "/.test(message ?? '')) hint = `; create namespace ${namespace} first`;
    return new VendorApiError({
      connector: CONNECTOR,
      status: code,
      message: `${what} ${where}: ${code}${reason ? ` ${reason}` : ''}${message ? `: ${message}` : ''}${hint}`,
      body: message,
      cause: error,
    });
  };

  type Api = Record<string, (param: object, options: object) => Promise<unknown>>;
  const api = core as unknown as Api;

  return {
    server: cluster.server,
    async read(signal) {
      try {
        return (await call('reading', signal, (options) =>
          api.readNamespacedSecret!({ name, namespace }, options),
        )) as SecretObject;
      } catch (error) {
        if (isNotFound(error)) return undefined;
        throw error;
      }
    },
    async create(body, signal) {
      return (await call('creating', signal, (options) =>
        api.createNamespacedSecret!({ namespace, body }, options),
      )) as SecretObject;
    },
    async replace(body, signal) {
      return (await call('replacing', signal, (options) =>
        api.replaceNamespacedSecret!({ name, namespace, body }, options),
      )) as SecretObject;
    },
    async remove(uid, signal) {
      await call('deleting', signal, (options) =>
        api.deleteNamespacedSecret!({ name, namespace, body: uid ? { preconditions: { uid } } : undefined }, options),
      );
    },
  };
}
