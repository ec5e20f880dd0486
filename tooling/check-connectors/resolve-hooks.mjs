// Node module hooks for check-connectors: add the `@certctl/source` export condition (so workspace
// packages load from their TypeScript sources) and, for bare specifiers a connector outside the
// workspace cannot resolve (fixtures, docs examples), retry from the workspace's own packages.
let fallbackParents = [];

/** @param {{ fallbackParents?: string[] }} data */
export async function initialize(data) {
  fallbackParents = data?.fallbackParents ?? [];
}

const isBare = (specifier) => !/^(\.{1,2}\/|\/|[a-z][a-z0-9+.-]*:)/i.test(specifier);

export async function resolve(specifier, context, nextResolve) {
  const withSource = { ...context, conditions: [...new Set(['@certctl/source', ...(context.conditions ?? [])])] };
  try {
    return await nextResolve(specifier, withSource);
  } catch (error) {
    if (!isBare(specifier) || error?.code !== 'ERR_MODULE_NOT_FOUND') throw error;
    for (const parentURL of fallbackParents) {
      try {
        return await nextResolve(specifier, { ...withSource, parentURL });
      } catch {
        // try the next workspace package
      }
    }
    throw error;
  }
}
