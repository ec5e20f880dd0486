// publint and "are the types wrong" over one tarball, as the registry's users would see it.
import { checkPackage, createPackageFromTarballData } from '@arethetypeswrong/core';
import { publint } from 'publint';

/** Our packages are ESM only: a CommonJS or node10 consumer failing to resolve them is expected. */
const IGNORED_RESOLUTIONS = new Set(['node10', 'node16-cjs']);

/** @param {Uint8Array} data the tarball's bytes */
export async function lintTarball(data) {
  const problems = [];
  const { messages } = await publint({
    pack: { tarball: data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) },
    level: 'warning',
    strict: true,
  });
  for (const message of messages) {
    problems.push(`publint ${message.type} ${message.code} at ${message.path.join('.') || '(root)'}`);
  }
  const result = await checkPackage(createPackageFromTarballData(data));
  if (!result.types) problems.push('attw: the package ships no types');
  for (const problem of result.problems ?? []) {
    if ('resolutionKind' in problem && IGNORED_RESOLUTIONS.has(problem.resolutionKind)) continue;
    const where = problem.entrypoint ?? problem.fileName ?? problem.typesFileName ?? '';
    problems.push(
      `attw ${problem.kind}${where ? ` at ${where}` : ''}${problem.resolutionKind ? ` (${problem.resolutionKind})` : ''}`,
    );
  }
  return problems;
}
