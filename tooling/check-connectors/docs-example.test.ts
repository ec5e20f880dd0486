import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const EXAMPLE = 'docs/examples/issuer-example/src/index.ts';

/** The fenced block that follows `<!-- example: path -->` in the doc. */
function exampleBlock(doc: string, path: string): string | undefined {
  const marker = `<!-- example: ${path} -->\n\`\`\`ts\n`;
  const start = doc.indexOf(marker);
  if (start < 0) return undefined;
  const body = start + marker.length;
  const end = doc.indexOf('\n```\n', body - 1);
  return end < 0 ? undefined : doc.slice(body, end + 1);
}

describe('docs/writing-a-connector.md', () => {
  it('shows the example issuer exactly as it is in docs/examples', () => {
    const doc = readFileSync(join(root, 'docs/writing-a-connector.md'), 'utf8');
    const block = exampleBlock(doc, EXAMPLE);
    expect(block, `no code block after <!-- example: ${EXAMPLE} -->`).toBeDefined();
    expect(block).toBe(readFileSync(join(root, EXAMPLE), 'utf8'));
  });

  it('has an example issuer that compiles (tsc -p docs/examples/issuer-example)', async () => {
    const tsc = createRequire(join(root, 'package.json')).resolve('typescript/bin/tsc');
    const result = await new Promise<{ code: number; output: string }>((resolve) => {
      execFile(
        process.execPath,
        [tsc, '-p', join(root, 'docs/examples/issuer-example')],
        { cwd: root, timeout: 120_000 },
        (error, stdout, stderr) => {
          resolve({ code: error ? Number(error.code ?? 1) : 0, output: stdout + stderr });
        },
      );
    });
    expect(result.output).toBe('');
    expect(result.code).toBe(0);
  }, 120_000);
});
