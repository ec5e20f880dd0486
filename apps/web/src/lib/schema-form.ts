/**
 * Forms generated from a connector's config JSON Schema (what `GET /api/v1/issuer-types` publishes):
 * one field per property, typed from the schema, secrets (`writeOnly`) as password fields that are
 * never prefilled, and values turned back into a config the same schema accepts.
 */

export interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  description?: string;
  title?: string;
  default?: unknown;
  enum?: unknown[];
  const?: unknown;
  writeOnly?: boolean;
  format?: string;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  additionalProperties?: boolean | JsonSchema;
  'x-certctl-secret'?: boolean;
}

export type FieldKind = 'text' | 'secret' | 'number' | 'integer' | 'boolean' | 'select' | 'list' | 'json' | 'multiline';

export interface FormField {
  name: string;
  label: string;
  kind: FieldKind;
  required: boolean;
  description?: string;
  options?: string[];
  /** What the input starts with (never for secrets). */
  initial: string | boolean;
  placeholder?: string;
  schema: JsonSchema;
}

const typeOf = (schema: JsonSchema): string | undefined => {
  if (Array.isArray(schema.type)) return schema.type.find((t) => t !== 'null');
  if (schema.type) return schema.type;
  const branch = (schema.anyOf ?? schema.oneOf)?.find((b) => b.type !== 'null');
  return branch ? typeOf(branch) : undefined;
};

/** `ca_common_name` → `CA common name`. */
export function labelOf(name: string, schema: JsonSchema): string {
  if (schema.title) return schema.title;
  const words = name
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .split(/[_\s-]+/)
    .filter(Boolean);
  const upper = new Set([
    'ca',
    'url',
    'id',
    'api',
    'dns',
    'crl',
    'ocsp',
    'tls',
    'eab',
    'hmac',
    'pem',
    'csr',
    'ttl',
    'kid',
  ]);
  return words
    .map((w, i) => (upper.has(w.toLowerCase()) ? w.toUpperCase() : i === 0 ? w[0]?.toUpperCase() + w.slice(1) : w))
    .join(' ');
}

function kindOf(schema: JsonSchema): { kind: FieldKind; options?: string[] } {
  if (schema.writeOnly || schema['x-certctl-secret']) return { kind: 'secret' };
  const values =
    schema.enum ?? (schema.anyOf ?? schema.oneOf)?.flatMap((b) => b.enum ?? (b.const !== undefined ? [b.const] : []));
  if (values && values.length > 0) return { kind: 'select', options: values.map(String) };
  const type = typeOf(schema);
  if (type === 'boolean') return { kind: 'boolean' };
  if (type === 'integer') return { kind: 'integer' };
  if (type === 'number') return { kind: 'number' };
  if (type === 'array') {
    const items = schema.items ? typeOf(schema.items) : 'string';
    return items === 'string' ? { kind: 'list' } : { kind: 'json' };
  }
  if (type === 'object') return { kind: 'json' };
  if (
    type === 'string' &&
    /pem|certificate|private_key|chain/i.test(`${schema.description ?? ''}`) &&
    !schema.maxLength
  )
    return { kind: 'multiline' };
  return { kind: 'text' };
}

function initialOf(kind: FieldKind, schema: JsonSchema): string | boolean {
  if (kind === 'secret') return '';
  const value = schema.default;
  if (kind === 'boolean') return value === true;
  if (value === undefined || value === null) return '';
  if (kind === 'list' && Array.isArray(value)) return value.join(', ');
  if (kind === 'json') return JSON.stringify(value, null, 2);
  return String(value);
}

/** The fields of an object schema, required ones first, then in the schema's order. */
export function fieldsFromSchema(schema: JsonSchema | undefined): FormField[] {
  if (!schema?.properties) return [];
  const required = new Set(schema.required ?? []);
  const fields = Object.entries(schema.properties).map(([name, property]): FormField => {
    const { kind, options } = kindOf(property);
    // A field with a default is filled by the server when left empty: not required of the user.
    const isRequired = required.has(name) && property.default === undefined;
    return {
      name,
      label: labelOf(name, property),
      kind,
      required: isRequired,
      description: property.description,
      options,
      initial: initialOf(kind, property),
      placeholder:
        property.default !== undefined && kind !== 'secret' ? `default ${String(property.default)}` : undefined,
      schema: property,
    };
  });
  return [...fields.filter((f) => f.required), ...fields.filter((f) => !f.required)];
}

export type FormValues = Record<string, string | boolean>;

export interface ConfigResult {
  config: Record<string, unknown>;
  /** Field name → what is wrong with it; empty when the config can be sent. */
  errors: Record<string, string>;
}

/**
 * The values typed into a generated form as a config: empty optional fields are left out (the
 * server applies defaults), numbers and lists parsed, each value checked against its field's
 * schema (required, bounds, length, pattern) so mistakes show before the request is sent.
 */
export function configFromValues(fields: readonly FormField[], values: FormValues): ConfigResult {
  const config: Record<string, unknown> = {};
  const errors: Record<string, string> = {};
  for (const field of fields) {
    const raw = values[field.name] ?? field.initial;
    const { schema } = field;
    if (field.kind === 'boolean') {
      if (raw !== field.initial || schema.default === undefined) config[field.name] = raw === true;
      continue;
    }
    const text = typeof raw === 'string' ? raw.trim() : '';
    if (text === '') {
      if (field.required) errors[field.name] = `${field.label} is required`;
      continue;
    }
    switch (field.kind) {
      case 'integer':
      case 'number': {
        const n = Number(text);
        if (!Number.isFinite(n) || (field.kind === 'integer' && !Number.isInteger(n))) {
          errors[field.name] = `${field.label} must be ${field.kind === 'integer' ? 'a whole number' : 'a number'}`;
        } else if (schema.minimum !== undefined && n < schema.minimum) {
          errors[field.name] = `${field.label} must be at least ${schema.minimum}`;
        } else if (schema.maximum !== undefined && n > schema.maximum) {
          errors[field.name] = `${field.label} must be at most ${schema.maximum}`;
        } else config[field.name] = n;
        break;
      }
      case 'list':
        config[field.name] = text
          .split(/[,\n]/)
          .map((s) => s.trim())
          .filter(Boolean);
        break;
      case 'json':
        try {
          config[field.name] = JSON.parse(text);
        } catch {
          errors[field.name] = `${field.label} must be valid JSON`;
        }
        break;
      case 'select':
        if (field.options && !field.options.includes(text))
          errors[field.name] = `${field.label}: choose one of the options`;
        else config[field.name] = text;
        break;
      default: {
        const value = field.kind === 'multiline' ? String(raw) : text;
        if (schema.minLength !== undefined && value.length < schema.minLength)
          errors[field.name] = `${field.label} must be at least ${schema.minLength} characters`;
        else if (schema.maxLength !== undefined && value.length > schema.maxLength)
          errors[field.name] = `${field.label} must be at most ${schema.maxLength} characters`;
        else if (schema.pattern && !new RegExp(schema.pattern, 'u').test(value))
          errors[field.name] = `${field.label} does not have the expected format`;
        else config[field.name] = value;
      }
    }
  }
  return { config, errors };
}
