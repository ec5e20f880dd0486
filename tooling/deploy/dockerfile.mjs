// A Dockerfile read into stages of instructions (continuation lines joined, comments dropped), for
// the checks a linter would make and for the test to run the same commands the stages run.

/**
 * @param {string} text
 * @returns {{ from: string, name?: string, args: Map<string, string>, instructions: { keyword: string, value: string }[] }[] & { globalArgs: Map<string, string> }}
 */
export function parseDockerfile(text) {
  const logical = [];
  let current = '';
  for (const raw of text.split('\n')) {
    const line = raw.trimEnd();
    if (current === '' && /^\s*(#|$)/.test(line)) continue;
    if (current !== '' && /^\s*#/.test(line)) continue;
    if (line.endsWith('\\')) {
      current += `${line.slice(0, -1).trim()} `;
      continue;
    }
    logical.push((current + line.trim()).trim());
    current = '';
  }
  const globalArgs = new Map();
  const stages = Object.assign([], { globalArgs });
  for (const line of logical) {
    const [, keyword, value] = /^(\S+)\s*(.*)$/.exec(line);
    const upper = keyword.toUpperCase();
    if (upper === 'FROM') {
      const [, from, name] = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(value);
      stages.push({ from, name, args: new Map(), instructions: [] });
      continue;
    }
    const stage = stages.at(-1);
    if (upper === 'ARG') {
      const [, argName, def] = /^([\w]+)(?:=(.*))?$/.exec(value);
      const unquoted = def?.replace(/^"(.*)"$/, '$1') ?? '';
      (stage ? stage.args : globalArgs).set(argName, unquoted);
    }
    if (!stage) continue;
    stage.instructions.push({ keyword: upper, value });
  }
  return stages;
}

/** ENV instructions of a stage as one object (the `KEY=value KEY2=value2` form). */
export function stageEnv(stage) {
  const env = {};
  for (const { keyword, value } of stage.instructions) {
    if (keyword !== 'ENV') continue;
    for (const [, key, quoted, plain] of value.matchAll(/(\w+)=(?:"([^"]*)"|(\S*))/g)) env[key] = quoted ?? plain;
  }
  return env;
}
