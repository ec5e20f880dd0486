import {
  type AnyConnectorManifest,
  type CapabilitiesByKind,
  CONNECTOR_KINDS,
  type ConnectorKind,
  type ContractMethodOf,
  configJsonSchema,
  DEFAULT_DISCOVERY_CAPABILITIES,
  DEFAULT_ISSUER_CAPABILITIES,
  DEFAULT_NOTIFIER_CAPABILITIES,
  DEFAULT_TARGET_CAPABILITIES,
  type JsonSchema,
  SECRET_KEYWORD,
  type OptionalContractMethodOf,
  SPECIFICATION_VERSION,
} from '@certctl/core';
import { describeError, type Finding, FindingList } from './findings.js';

export { CONNECTOR_KINDS };
export const KEBAB_CASE = /^[a-z0-9]+(-[a-z0-9]+)*$/;
const SEMVER = /^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/;
const ENV_NAME = /^CERTCTL_[A-Z0-9]+(_[A-Z0-9]+)*$/;

/** Config key names that hold a credential; a string field named like this must be marked with `secret()`. */
export const SECRET_LOOKING_KEY = /(password|passphrase|secret|token|api_key|apikey|hmac|private_key|key_pem)/i;

const KNOWN_CAPABILITIES: Record<ConnectorKind, readonly string[]> = {
  issuer: Object.keys(DEFAULT_ISSUER_CAPABILITIES),
  target: Object.keys(DEFAULT_TARGET_CAPABILITIES),
  notifier: Object.keys(DEFAULT_NOTIFIER_CAPABILITIES),
  discovery: Object.keys(DEFAULT_DISCOVERY_CAPABILITIES),
};

/** Which method each capability flag promises. Flags not listed (e.g. `serverKeygen`, `html`) have no method of their own. */
export const CAPABILITY_METHODS = {
  issuer: {
    revoke: 'revoke',
    crl: 'generateCrl',
    ocsp: 'signOcsp',
    asyncOrders: 'getOrder',
    renewalInfo: 'renewalInfo',
    caChain: 'caChain',
    listExisting: 'listExisting',
    testConnection: 'testConnection',
    caHierarchy: 'listCas',
  },
  target: { dryRun: 'dryRun', testConnection: 'testConnection' },
  notifier: { resolve: 'resolve', testConnection: 'testConnection' },
  discovery: { testConnection: 'testConnection' },
} as const satisfies { [K in ConnectorKind]: Partial<Record<keyof CapabilitiesByKind[K], ContractMethodOf<K>>> };

/** Optional methods no flag announces (the app finds them by calling). */
const UNFLAGGED_METHODS = {
  issuer: ['renew', 'createCa', 'setIssuingCa', 'retireCa', 'accountMetadata'],
  target: [],
  notifier: [],
  discovery: [],
} as const satisfies { [K in ConnectorKind]: readonly OptionalContractMethodOf<K>[] };

// Every optional method is either promised by a flag or listed as unflagged: a new one without its entry fails here.
type Covered<K extends ConnectorKind> =
  | (typeof CAPABILITY_METHODS)[K][keyof (typeof CAPABILITY_METHODS)[K]]
  | (typeof UNFLAGGED_METHODS)[K][number];
type Uncovered = { [K in ConnectorKind]: Exclude<OptionalContractMethodOf<K>, Covered<K>> }[ConnectorKind];
const everyOptionalMethodCovered: [Uncovered] extends [never] ? true : Uncovered = true;
void everyOptionalMethodCovered;

export const REQUIRED_METHODS = {
  issuer: ['issue'],
  target: ['deploy', 'validateDeployment'],
  notifier: ['send'],
  discovery: ['scan'],
} as const satisfies { [K in ConnectorKind]: readonly Exclude<ContractMethodOf<K>, OptionalContractMethodOf<K>>[] };

export interface CheckManifestOptions {
  /** The kind the manifest must have (the suite or package it is checked for). */
  kind?: ConnectorKind;
}

/** Resolves `$ref: '#/$defs/x'` against the root schema. */
function deref(node: JsonSchema, root: JsonSchema): JsonSchema {
  const ref = node.$ref;
  if (typeof ref === 'string' && ref.startsWith('#/$defs/')) {
    const target = (root.$defs as Record<string, JsonSchema> | undefined)?.[ref.slice(8)];
    if (target) return target;
  }
  return node;
}

function variants(node: JsonSchema, root: JsonSchema): JsonSchema[] {
  const resolved = deref(node, root);
  const list = [resolved];
  for (const k of ['anyOf', 'oneOf', 'allOf'] as const) {
    const children = resolved[k];
    if (Array.isArray(children)) for (const child of children) list.push(...variants(child as JsonSchema, root));
  }
  return list;
}

function isMarkedSecret(node: JsonSchema, root: JsonSchema): boolean {
  return variants(node, root).some((v) => v[SECRET_KEYWORD] === true) || node[SECRET_KEYWORD] === true;
}

function isStringish(node: JsonSchema, root: JsonSchema): boolean {
  return variants(node, root).some((v) => v.type === 'string' || (Array.isArray(v.type) && v.type.includes('string')));
}

/** Every property path in the config's JSON Schema (dotted), with its schema node. */
export function configProperties(root: JsonSchema): { path: string; node: JsonSchema }[] {
  const out: { path: string; node: JsonSchema }[] = [];
  const walk = (node: JsonSchema, prefix: string, depth: number) => {
    if (depth > 8) return;
    for (const v of variants(node, root)) {
      for (const [key, child] of Object.entries((v.properties ?? {}) as Record<string, JsonSchema>)) {
        const path = prefix ? `${prefix}.${key}` : key;
        if (!out.some((o) => o.path === path)) out.push({ path, node: child });
        walk(child, path, depth + 1);
      }
      if (v.items && typeof v.items === 'object') walk(v.items as JsonSchema, prefix ? `${prefix}.*` : '*', depth + 1);
    }
  };
  walk(root, '', 0);
  return out;
}

/** String config fields whose name looks like a credential but which are not marked with `secret()`. */
export function unmarkedSecretFields(root: JsonSchema): string[] {
  return configProperties(root)
    .filter(({ path, node }) => {
      const name = path.split('.').at(-1) ?? path;
      // `private_key_path`, `token_file`, `secret_name`, `token_url`: where or what a credential is, not the credential itself.
      const namesALocation = /_(path|file|dir|name|url|uri)$/i.test(name);
      return SECRET_LOOKING_KEY.test(name) && !namesALocation && isStringish(node, root) && !isMarkedSecret(node, root);
    })
    .map((p) => p.path);
}

/**
 * Checks the static shape of a manifest: identity, version, specification, capabilities, config
 * schema (JSON-Schema-exportable, secrets marked) and env mapping. Returns every problem found.
 */
export function checkManifest(value: unknown, options: CheckManifestOptions = {}): Finding[] {
  const f = new FindingList();
  if (typeof value !== 'object' || value === null) {
    f.add('manifest', 'the default export is not a connector manifest object (use defineIssuer/defineTarget/...)');
    return f.items;
  }
  const m = value as Partial<AnyConnectorManifest> & Record<string, unknown>;
  const kindOk = f.check(
    CONNECTOR_KINDS.includes(m.kind as ConnectorKind),
    'manifest.kind',
    `kind must be one of ${CONNECTOR_KINDS.join(', ')}, got ${JSON.stringify(m.kind)}`,
  );
  if (kindOk && options.kind)
    f.check(m.kind === options.kind, 'manifest.kind', `expected a ${options.kind} connector, got kind "${m.kind}"`);
  f.check(
    typeof m.id === 'string' && KEBAB_CASE.test(m.id),
    'manifest.id',
    `id must be kebab-case (e.g. "acme", "aws-acm-pca"), got ${JSON.stringify(m.id)}`,
  );
  f.check(
    typeof m.displayName === 'string' && m.displayName.trim().length > 0,
    'manifest.displayName',
    'displayName must be a non-empty string',
  );
  f.check(
    typeof m.version === 'string' && SEMVER.test(m.version),
    'manifest.version',
    `version must be the package's semver version, got ${JSON.stringify(m.version)}`,
  );
  f.check(
    m.specificationVersion === SPECIFICATION_VERSION,
    'manifest.specificationVersion',
    `specificationVersion must be "${SPECIFICATION_VERSION}", got ${JSON.stringify(m.specificationVersion)}`,
  );
  f.check(typeof m.create === 'function', 'manifest.create', 'create(config, ctx) must be a function');

  if (kindOk) {
    const caps = m.capabilities as Record<string, unknown> | undefined;
    if (
      f.check(
        typeof caps === 'object' && caps !== null,
        'manifest.capabilities',
        'capabilities must be an object (define* fills defaults)',
      )
    ) {
      const known = KNOWN_CAPABILITIES[m.kind as ConnectorKind];
      for (const [flag, v] of Object.entries(caps as Record<string, unknown>)) {
        f.check(
          typeof v === 'boolean',
          'manifest.capabilities',
          `capabilities.${flag} must be true or false, got ${JSON.stringify(v)}`,
        );
        f.check(
          known.includes(flag),
          'manifest.capabilities',
          `capabilities.${flag} is not a ${m.kind} capability of specification ${SPECIFICATION_VERSION} (known: ${known.join(', ')})`,
        );
      }
    }
  }

  const schema = m.configSchema as { safeParse?: unknown } | undefined;
  let json: JsonSchema | undefined;
  if (f.check(typeof schema?.safeParse === 'function', 'manifest.configSchema', 'configSchema must be a zod schema')) {
    try {
      json = configJsonSchema(m.configSchema as never);
    } catch (error) {
      f.add(
        'manifest.configSchema',
        `configSchema cannot be exported as JSON Schema (the server needs it for the API and forms): ${describeError(error)}`,
      );
    }
  }
  if (json) {
    f.check(
      json.type === 'object',
      'manifest.configSchema',
      `configSchema must describe a JSON object, its JSON Schema type is ${JSON.stringify(json.type)}`,
    );
    for (const path of unmarkedSecretFields(json)) {
      f.add(
        'manifest.secrets',
        `config key "${path}" looks like a credential but is not marked with secret(); wrap it: secret(z.string())`,
      );
    }
  }

  if (m.env !== undefined) {
    if (
      f.check(typeof m.env === 'object' && m.env !== null, 'manifest.env', 'env must map variable names to config keys')
    ) {
      const paths = json ? new Set(configProperties(json).map((p) => p.path)) : undefined;
      for (const [name, key] of Object.entries(m.env as Record<string, unknown>)) {
        f.check(
          ENV_NAME.test(name),
          'manifest.env',
          `environment variable "${name}" must be CERTCTL_ followed by upper-case words joined by _`,
        );
        if (typeof key !== 'string')
          f.add('manifest.env', `env.${name} must name a config key, got ${JSON.stringify(key)}`);
        else if (paths)
          f.check(
            paths.has(key),
            'manifest.env',
            `env.${name} points at "${key}", which is not a key of the config schema`,
          );
      }
    }
  }
  return f.items;
}

/**
 * Compares an instance's methods with the declared capabilities: a declared capability whose method
 * is missing, a method present that the capabilities deny, or a required method missing.
 */
export function checkCapabilityMethods(
  manifest: Pick<AnyConnectorManifest, 'kind' | 'capabilities'>,
  instance: unknown,
): Finding[] {
  const f = new FindingList();
  if (typeof instance !== 'object' || instance === null) {
    f.add('instance', `create() must return an object, got ${instance === null ? 'null' : typeof instance}`);
    return f.items;
  }
  const has = (method: string) => typeof (instance as Record<string, unknown>)[method] === 'function';
  for (const method of REQUIRED_METHODS[manifest.kind]) {
    f.check(has(method), `method.${method}`, `every ${manifest.kind} must implement ${method}()`);
  }
  const caps = manifest.capabilities as unknown as Record<string, boolean>;
  for (const [flag, method] of Object.entries(CAPABILITY_METHODS[manifest.kind])) {
    if (caps[flag] === true && !has(method)) {
      f.add(`capability.${flag}`, `capabilities.${flag} is true but the instance has no ${method}() method`);
    } else if (caps[flag] !== true && has(method)) {
      f.add(
        `capability.${flag}`,
        `${method}() is implemented but capabilities.${flag} is false: declare it, or remove the method`,
      );
    }
  }
  return f.items;
}
