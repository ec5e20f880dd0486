import { randomBytes, randomUUID } from 'node:crypto';
import { type FakeRequest, type FakeResponse, type FakeVendor, startFakeVendor } from '../fake-vendor.js';
import { createFaultQueue, type FaultQueue, isRecord } from './fake-faults.js';

/** The verbs Kubernetes RBAC checks on the Secret endpoints this fake serves. */
export type KubernetesVerb = 'get' | 'list' | 'create' | 'update' | 'delete';

export interface FakeKubernetesIdentity {
  /** The user the token authenticates as, e.g. `system:serviceaccount:certctl:agent`. */
  user: string;
  /** Verbs allowed on secrets; default all. */
  verbs?: readonly KubernetesVerb[];
  /** Namespaces the verbs apply in; default all. */
  namespaces?: readonly string[];
}

export interface FakeKubernetesSecret {
  apiVersion: 'v1';
  kind: 'Secret';
  metadata: {
    name: string;
    namespace: string;
    uid: string;
    resourceVersion: string;
    creationTimestamp: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  type: string;
  /** Base64 values, as the API serves them. */
  data?: Record<string, string>;
  immutable?: boolean;
}

export interface StartFakeKubernetesOptions {
  /** Bearer tokens and who they are; default one token with every right (see `token`). */
  tokens?: Record<string, FakeKubernetesIdentity>;
  /** Namespaces that exist; default `default`. */
  namespaces?: readonly string[];
}

export interface FakeKubernetes {
  /** `https://127.0.0.1:<port>`: the API server. */
  url: string;
  /** PEM of the CA that signed the API server's certificate (a kubeconfig's certificate-authority-data). */
  caPem: string;
  /** A token with every right on secrets in every namespace (when `tokens` was not given). */
  token: string;
  vendor: FakeVendor;
  /** Answers queued for the next API requests (after authentication), e.g. `{ status: 500, body: ... }`. */
  faults: FaultQueue;
  /**
   * Answers the next request with this method (after `skip` others with it) with `response` instead
   * of handling it, e.g. the read-back after a write: `failNext('GET', { status: 500, ... }, 1)`.
   */
  failNext(
    method: 'GET' | 'POST' | 'PUT' | 'DELETE',
    response: FakeResponse | (() => Promise<FakeResponse>),
    skip?: number,
  ): void;
  /** A copy of a stored Secret, or undefined. */
  secret(namespace: string, name: string): FakeKubernetesSecret | undefined;
  /** Writes a Secret as another client would (new resourceVersion). */
  writeSecret(
    namespace: string,
    name: string,
    change: { data?: Record<string, string>; type?: string; annotations?: Record<string, string> },
  ): FakeKubernetesSecret;
  /** Just before each of the next `times` (default 1) updates of this Secret, another client changes it: those updates conflict (409). */
  conflictBeforeNextUpdate(namespace: string, name: string, times?: number): void;
  /** A kubeconfig (YAML) for this server with `token` (default: `token`), as kubectl and client libraries read it. */
  kubeconfig(options?: { token?: string; namespace?: string }): string;
  close(): Promise<void>;
}

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const SECRET_KEY = /^[-._a-zA-Z0-9]+$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** A metav1.Status failure body, as the API server sends it. */
function status(code: number, reason: string, message: string, details?: Record<string, unknown>): FakeResponse {
  return {
    status: code,
    body: {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message,
      reason,
      ...(details ? { details } : {}),
      code,
    },
  };
}

const notFound = (kind: 'secrets' | 'namespaces', name: string) =>
  status(404, 'NotFound', `${kind} "${name}" not found`, { name, kind });

function invalid(name: string, causes: { field: string; reason: string; message: string }[]): FakeResponse {
  const texts = causes.map((c) => `${c.field}: ${c.message}`);
  const message = `Secret "${name}" is invalid: ${texts.length === 1 ? texts[0] : `[${texts.join(', ')}]`}`;
  return status(422, 'Invalid', message, { name, kind: 'Secret', causes });
}

/** What the API server checks on a Secret body (ValidateSecret): name, keys, base64, the tls type's required keys. */
function validateSecret(body: Record<string, unknown>, name: string): FakeResponse | undefined {
  const causes: { field: string; reason: string; message: string }[] = [];
  if (!DNS_SUBDOMAIN.test(name) || name.length > 253) {
    causes.push({
      field: 'metadata.name',
      reason: 'FieldValueInvalid',
      message: `Invalid value: "${name}": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character`,
    });
  }
  const data = body.data === undefined || body.data === null ? {} : body.data;
  if (!isRecord(data))
    return status(400, 'BadRequest', 'Secret in version "v1" cannot be handled as a Secret: data must be an object');
  for (const [key, value] of Object.entries(data)) {
    if (!SECRET_KEY.test(key)) {
      causes.push({
        field: `data[${key}]`,
        reason: 'FieldValueInvalid',
        message: `Invalid value: "${key}": a valid config key must consist of alphanumeric characters, '-', '_' or '.'`,
      });
    }
    if (typeof value !== 'string' || !BASE64.test(value)) {
      return status(
        400,
        'BadRequest',
        `Secret in version "v1" cannot be handled as a Secret: illegal base64 data at input byte 0`,
      );
    }
  }
  if (body.type === 'kubernetes.io/tls') {
    for (const key of ['tls.crt', 'tls.key'])
      if (!(key in data))
        causes.push({ field: `data[${key}]`, reason: 'FieldValueRequired', message: 'Required value' });
  }
  return causes.length > 0 ? invalid(name, causes) : undefined;
}

/**
 * A fake Kubernetes API server for the core/v1 Secret endpoints, over HTTPS with a per-run CA:
 * bearer-token authentication (401 Unauthorized Status otherwise) and per-token RBAC (403 Forbidden
 * Status with the API server's message), discovery (`/api`, `/apis`, `/api/v1`, `/version`) so
 * kubectl works against it, optimistic concurrency (`resourceVersion` on update; a stale one is a
 * 409 Conflict), 409 AlreadyExists on create, 404 NotFound Status, and the API server's validation
 * of Secrets (422 Invalid with causes; a `kubernetes.io/tls` Secret needs `tls.crt` and `tls.key`;
 * the type is immutable).
 */
export async function startFakeKubernetes(options: StartFakeKubernetesOptions = {}): Promise<FakeKubernetes> {
  const defaultToken = randomBytes(24).toString('base64url');
  const tokens: Record<string, FakeKubernetesIdentity> = options.tokens ?? {
    [defaultToken]: { user: 'kubernetes-admin' },
  };
  const namespaces = new Set(options.namespaces ?? ['default']);
  const secrets = new Map<string, FakeKubernetesSecret>();
  const pendingConflicts = new Map<string, number>();
  const methodFaults: {
    method: string;
    skip: number;
    response: FakeResponse | (() => Promise<FakeResponse>);
  }[] = [];
  const faults = createFaultQueue();
  let resourceVersion = 1000;
  const nextVersion = () => String(++resourceVersion);
  const keyOf = (namespace: string, name: string) => `${namespace}/${name}`;
  const now = () => new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const copy = <T>(value: T): T => structuredClone(value);
  let port = 0;

  const authenticate = (request: FakeRequest): FakeKubernetesIdentity | FakeResponse => {
    const match = /^Bearer (\S+)$/.exec(request.headers.authorization ?? '');
    const identity = match ? tokens[match[1]!] : undefined;
    return identity ?? status(401, 'Unauthorized', 'Unauthorized');
  };

  const authorize = (
    identity: FakeKubernetesIdentity,
    verb: KubernetesVerb,
    namespace: string,
    name?: string,
  ): FakeResponse | undefined => {
    const verbOk = identity.verbs === undefined || identity.verbs.includes(verb);
    const namespaceOk = identity.namespaces === undefined || identity.namespaces.includes(namespace);
    if (verbOk && namespaceOk) return undefined;
    return status(
      403,
      'Forbidden',
      `secrets${name ? ` "${name}"` : ''} is forbidden: User "${identity.user}" cannot ${verb} resource "secrets" in API group "" in the namespace "${namespace}"`,
      { ...(name ? { name } : {}), kind: 'secrets' },
    );
  };

  const discovery = (path: string): FakeResponse | undefined => {
    if (path === '/version') {
      return {
        body: {
          major: '1',
          minor: '32',
          gitVersion: 'v1.32.4',
          gitCommit: 'certctl-fake',
          gitTreeState: 'clean',
          buildDate: '2026-01-01T00:00:00Z',
          goVersion: 'go1.23.8',
          compiler: 'gc',
          platform: 'linux/amd64',
        },
      };
    }
    if (path === '/api') {
      return {
        body: {
          kind: 'APIVersions',
          versions: ['v1'],
          serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: `127.0.0.1:${port}` }],
        },
      };
    }
    if (path === '/apis') return { body: { kind: 'APIGroupList', apiVersion: 'v1', groups: [] } };
    if (path === '/api/v1') {
      return {
        body: {
          kind: 'APIResourceList',
          groupVersion: 'v1',
          resources: [
            {
              name: 'namespaces',
              singularName: 'namespace',
              namespaced: false,
              kind: 'Namespace',
              verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
              shortNames: ['ns'],
            },
            {
              name: 'secrets',
              singularName: 'secret',
              namespaced: true,
              kind: 'Secret',
              verbs: ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'],
            },
          ],
        },
      };
    }
    return undefined;
  };

  type BodyOutcome = { body: Record<string, unknown>; refused?: undefined } | { refused: FakeResponse };
  const readBody = (request: FakeRequest): BodyOutcome => {
    const type = (request.headers['content-type'] ?? '').split(';')[0]!.trim();
    if (type !== 'application/json') {
      return {
        refused: status(
          415,
          'UnsupportedMediaType',
          `the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/vnd.kubernetes.protobuf`,
        ),
      };
    }
    let body: unknown;
    try {
      body = JSON.parse(request.text());
    } catch (error) {
      return {
        refused: status(
          400,
          'BadRequest',
          `Secret in version "v1" cannot be handled as a Secret: ${(error as Error).message}`,
        ),
      };
    }
    // Typed clients (client-go, client-node) may omit apiVersion and kind: the server takes them from the URL.
    if (
      !isRecord(body) ||
      (body.kind !== undefined && body.kind !== 'Secret') ||
      (body.apiVersion !== undefined && body.apiVersion !== 'v1')
    ) {
      return { refused: status(400, 'BadRequest', 'the object provided is unrecognized (must be of type Secret)') };
    }
    // stringData is write-only: merged into data, as the API server does.
    if (isRecord(body.stringData)) {
      const data = isRecord(body.data) ? { ...body.data } : {};
      for (const [k, v] of Object.entries(body.stringData)) data[k] = Buffer.from(String(v)).toString('base64');
      body.data = data;
      delete body.stringData;
    }
    return { body };
  };

  const metadataOf = (body: Record<string, unknown>) => (isRecord(body.metadata) ? body.metadata : {});
  const stringMap = (value: unknown): Record<string, string> | undefined =>
    isRecord(value) ? Object.fromEntries(Object.entries(value).map(([k, v]) => [k, String(v)])) : undefined;

  const handle = async (request: FakeRequest): Promise<FakeResponse> => {
    const identity = authenticate(request);
    if (!('user' in identity)) return identity;
    const fault = faults.take();
    if (fault) return fault;
    const armed = methodFaults.find((f) => f.method === request.method);
    if (armed) {
      if (armed.skip === 0) {
        methodFaults.splice(methodFaults.indexOf(armed), 1);
        // A function answers later: a slow or hanging API server.
        return typeof armed.response === 'function' ? armed.response() : armed.response;
      }
      armed.skip--;
    }
    const found = discovery(request.path);
    if (found && request.method === 'GET') return found;

    const match = /^\/api\/v1\/namespaces\/([^/]+)\/secrets(?:\/([^/]+))?$/.exec(request.path);
    if (!match) {
      const ns = /^\/api\/v1\/namespaces\/([^/]+)$/.exec(request.path);
      if (ns && request.method === 'GET') {
        const name = decodeURIComponent(ns[1]!);
        return namespaces.has(name)
          ? { body: { kind: 'Namespace', apiVersion: 'v1', metadata: { name }, status: { phase: 'Active' } } }
          : notFound('namespaces', name);
      }
      return status(404, 'NotFound', 'the server could not find the requested resource', {});
    }
    const namespace = decodeURIComponent(match[1]!);
    const name = match[2] === undefined ? undefined : decodeURIComponent(match[2]);
    const key = name ? keyOf(namespace, name) : '';

    if (request.method === 'GET' && name) {
      const denied = authorize(identity, 'get', namespace, name);
      if (denied) return denied;
      const secret = secrets.get(key);
      return secret ? { body: copy(secret) } : notFound('secrets', name);
    }
    if (request.method === 'GET') {
      const denied = authorize(identity, 'list', namespace);
      if (denied) return denied;
      const selector = request.url.searchParams.get('labelSelector');
      const wanted = selector ? selector.split(',').map((term) => term.split('=') as [string, string]) : [];
      const items = [...secrets.values()].filter(
        (s) => s.metadata.namespace === namespace && wanted.every(([k, v]) => s.metadata.labels?.[k] === v),
      );
      return {
        body: {
          kind: 'SecretList',
          apiVersion: 'v1',
          metadata: { resourceVersion: String(resourceVersion) },
          items: items.map(copy),
        },
      };
    }
    if (request.method === 'POST' && !name) {
      // Authorization comes before the body is read, as in the API server's filter chain.
      const denied = authorize(identity, 'create', namespace, undefined);
      if (denied) return denied;
      const read = readBody(request);
      if (read.refused) return read.refused;
      const secretBody = read.body;
      const meta = metadataOf(secretBody);
      const newName = typeof meta.name === 'string' ? meta.name : '';
      if (meta.namespace !== undefined && meta.namespace !== namespace) {
        return status(
          400,
          'BadRequest',
          'the namespace of the provided object does not match the namespace sent on the request',
        );
      }
      if (!newName)
        return invalid('', [
          {
            field: 'metadata.name',
            reason: 'FieldValueRequired',
            message: 'Required value: name or generateName is required',
          },
        ]);
      if (meta.resourceVersion)
        return status(500, 'InternalError', 'resourceVersion should not be set on objects to be created');
      if (!namespaces.has(namespace)) return notFound('namespaces', namespace);
      const problem = validateSecret(secretBody, newName);
      if (problem) return problem;
      if (secrets.has(keyOf(namespace, newName))) {
        return status(409, 'AlreadyExists', `secrets "${newName}" already exists`, { name: newName, kind: 'secrets' });
      }
      const stored: FakeKubernetesSecret = {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: {
          name: newName,
          namespace,
          uid: randomUUID(),
          resourceVersion: nextVersion(),
          creationTimestamp: now(),
          ...(stringMap(meta.labels) ? { labels: stringMap(meta.labels) } : {}),
          ...(stringMap(meta.annotations) ? { annotations: stringMap(meta.annotations) } : {}),
        },
        type: typeof secretBody.type === 'string' && secretBody.type ? secretBody.type : 'Opaque',
        ...(isRecord(secretBody.data) ? { data: stringMap(secretBody.data) } : {}),
      };
      secrets.set(keyOf(namespace, newName), stored);
      return { status: 201, body: copy(stored) };
    }
    if (request.method === 'PUT' && name) {
      const denied = authorize(identity, 'update', namespace, name);
      if (denied) return denied;
      const read = readBody(request);
      if (read.refused) return read.refused;
      const secretBody = read.body;
      const meta = metadataOf(secretBody);
      if (meta.name !== name) {
        return status(
          400,
          'BadRequest',
          `the name of the object (${String(meta.name ?? '')}) does not match the name on the URL (${name})`,
        );
      }
      if (meta.namespace !== undefined && meta.namespace !== namespace) {
        return status(
          400,
          'BadRequest',
          'the namespace of the provided object does not match the namespace sent on the request',
        );
      }
      const conflicts = pendingConflicts.get(key) ?? 0;
      if (conflicts > 0 && secrets.has(key)) {
        if (conflicts === 1) pendingConflicts.delete(key);
        else pendingConflicts.set(key, conflicts - 1);
        const current = secrets.get(key)!;
        current.metadata.resourceVersion = nextVersion();
        current.metadata.annotations = {
          ...current.metadata.annotations,
          'fake.certctl.io/changed-by': 'another-client',
        };
      }
      const current = secrets.get(key);
      if (!current) return notFound('secrets', name);
      if (
        typeof meta.resourceVersion === 'string' &&
        meta.resourceVersion !== '' &&
        meta.resourceVersion !== current.metadata.resourceVersion
      ) {
        return status(
          409,
          'Conflict',
          `Operation cannot be fulfilled on secrets "${name}": the object has been modified; please apply your changes to the latest version and try again`,
          { name, kind: 'secrets' },
        );
      }
      const problem = validateSecret(secretBody, name);
      if (problem) return problem;
      const type = typeof secretBody.type === 'string' && secretBody.type ? secretBody.type : 'Opaque';
      if (type !== current.type) {
        return invalid(name, [
          { field: 'type', reason: 'FieldValueInvalid', message: `Invalid value: "${type}": field is immutable` },
        ]);
      }
      if (current.immutable) {
        return invalid(name, [
          {
            field: 'data',
            reason: 'FieldValueForbidden',
            message: 'Forbidden: field is immutable when `immutable` is set',
          },
        ]);
      }
      const labels = stringMap(meta.labels);
      const annotations = stringMap(meta.annotations);
      const updated: FakeKubernetesSecret = {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: {
          name,
          namespace,
          uid: current.metadata.uid,
          resourceVersion: nextVersion(),
          creationTimestamp: current.metadata.creationTimestamp,
          ...(labels ? { labels } : {}),
          ...(annotations ? { annotations } : {}),
        },
        type,
        ...(isRecord(secretBody.data) ? { data: stringMap(secretBody.data) } : {}),
      };
      secrets.set(key, updated);
      return { body: copy(updated) };
    }
    if (request.method === 'DELETE' && name) {
      const denied = authorize(identity, 'delete', namespace, name);
      if (denied) return denied;
      const current = secrets.get(key);
      if (!current) return notFound('secrets', name);
      secrets.delete(key);
      return {
        body: {
          kind: 'Status',
          apiVersion: 'v1',
          metadata: {},
          status: 'Success',
          details: { name, kind: 'secrets', uid: current.metadata.uid },
        },
      };
    }
    return status(405, 'MethodNotAllowed', `the server does not allow this method on the requested resource`);
  };

  const vendor = await startFakeVendor({ handler: handle });
  port = vendor.port;

  return {
    url: vendor.url,
    caPem: vendor.caPem!,
    token: options.tokens ? (Object.keys(options.tokens)[0] ?? '') : defaultToken,
    vendor,
    faults,
    failNext(method, response, skip = 0) {
      methodFaults.push({ method, skip, response });
    },
    secret: (namespace, name) => {
      const stored = secrets.get(keyOf(namespace, name));
      return stored ? copy(stored) : undefined;
    },
    writeSecret(namespace, name, change) {
      const key = keyOf(namespace, name);
      const current = secrets.get(key);
      const next: FakeKubernetesSecret = {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: {
          name,
          namespace,
          uid: current?.metadata.uid ?? randomUUID(),
          resourceVersion: nextVersion(),
          creationTimestamp: current?.metadata.creationTimestamp ?? now(),
          ...(current?.metadata.labels ? { labels: current.metadata.labels } : {}),
          ...((change.annotations ?? current?.metadata.annotations)
            ? { annotations: { ...current?.metadata.annotations, ...change.annotations } }
            : {}),
        },
        type: change.type ?? current?.type ?? 'Opaque',
        data: change.data ?? current?.data ?? {},
      };
      secrets.set(key, next);
      return copy(next);
    },
    conflictBeforeNextUpdate(namespace, name, times = 1) {
      pendingConflicts.set(keyOf(namespace, name), times);
    },
    kubeconfig(kubeconfigOptions = {}) {
      const token = kubeconfigOptions.token ?? defaultToken;
      return [
        'apiVersion: v1',
        'kind: Config',
        'clusters:',
        '- name: fake',
        '  cluster:',
        `    server: ${vendor.url}`,
        `    certificate-authority-data: ${Buffer.from(vendor.caPem!).toString('base64')}`,
        'users:',
        '- name: certctl',
        '  user:',
        `    token: ${token}`,
        'contexts:',
        '- name: fake',
        '  context:',
        '    cluster: fake',
        '    user: certctl',
        `    namespace: ${kubeconfigOptions.namespace ?? 'default'}`,
        'current-context: fake',
        '',
      ].join('\n');
    },
    close: () => vendor.close(),
  };
}
