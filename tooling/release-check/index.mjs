export { packageProblems, rangeIncludes } from './package-rules.mjs';
export { runReleaseCheck } from './release-check.mjs';
