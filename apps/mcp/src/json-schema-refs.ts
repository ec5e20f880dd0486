type Json = unknown;
type JsonObject = Record<string, unknown>;

const isObject = (value: Json): value is JsonObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Follows a local JSON pointer (`#/components/schemas/Certificate`) inside the document. */
export function resolvePointer(document: Json, ref: string): Json {
  if (!ref.startsWith('#')) throw new Error(`only local references are supported, got "${ref}"`);
  let node: Json = document;
  for (const raw of ref.slice(1).split('/').slice(1)) {
    const key = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
    if (!isObject(node) && !Array.isArray(node)) throw new Error(`reference "${ref}" does not resolve`);
    node = (node as JsonObject)[key];
    if (node === undefined) throw new Error(`reference "${ref}" does not resolve`);
  }
  return node;
}

/** An object that may be a `$ref` (a parameter, a request body): the object it names, followed to the end. */
export function dereference(document: Json, value: Json, seen = new Set<string>()): Json {
  if (!isObject(value) || typeof value.$ref !== 'string') return value;
  if (seen.has(value.$ref)) throw new Error(`reference cycle at "${value.$ref}"`);
  seen.add(value.$ref);
  return dereference(document, resolvePointer(document, value.$ref), seen);
}

/**
 * A self-contained copy of a JSON Schema taken from the document: every local `$ref` is inlined,
 * except a reference back into a schema being inlined (a recursive type), which points into `$defs`
 * of the result instead. Siblings of a `$ref` (a description) are kept (JSON Schema 2020-12).
 */
export function inlineSchemaRefs(document: Json, schema: Json): JsonObject {
  const defs: Record<string, Json> = {};
  const defNames = new Map<string, string>();
  const defName = (ref: string) => {
    let name = defNames.get(ref);
    if (!name) {
      const base = (ref.split('/').pop() ?? 'def').replace(/[^A-Za-z0-9_.-]/g, '_') || 'def';
      name = base;
      for (let i = 2; [...defNames.values()].includes(name); i++) name = `${base}_${i}`;
      defNames.set(ref, name);
    }
    return name;
  };

  const walk = (node: Json, expanding: readonly string[]): Json => {
    if (Array.isArray(node)) return node.map((item) => walk(item, expanding));
    if (!isObject(node)) return node;
    if (typeof node.$ref === 'string' && node.$ref.startsWith('#')) {
      const { $ref: ref, ...siblings } = node;
      const rest = walk(siblings, expanding) as JsonObject;
      if (expanding.includes(ref) || defNames.has(ref)) {
        const name = defName(ref);
        if (!(name in defs)) {
          defs[name] = {}; // placeholder: a recursive walk meets it and stops
          defs[name] = walk(resolvePointer(document, ref), [...expanding, ref]);
        }
        return { ...rest, $ref: `#/$defs/${name}` };
      }
      const target = walk(resolvePointer(document, ref), [...expanding, ref]);
      return isObject(target) ? { ...target, ...rest } : target;
    }
    const out: JsonObject = {};
    for (const [key, value] of Object.entries(node)) {
      // Keywords whose values are maps of names to schemas, or schemas: walk them; others are plain data.
      out[key] =
        key === 'const' || key === 'enum' || key === 'default' || key === 'examples' ? value : walk(value, expanding);
    }
    return out;
  };

  const result = walk(schema, []);
  const root = isObject(result) ? result : {};
  return Object.keys(defs).length > 0
    ? { ...root, $defs: { ...(root.$defs as JsonObject | undefined), ...defs } }
    : root;
}
