import { ConfigValidationError } from '@certctl/core';

export interface ParseOperatorCommandOptions {
  /** Config key the command came from, for the error, e.g. `reload_command`. */
  field?: string;
  connector?: string;
}

/** Refused everywhere, even quoted: they mean something to a shell and nothing safe to us. */
const FORBIDDEN_ANYWHERE = new Map<string, string>([
  [';', '";"'],
  ['&', '"&"'],
  ['|', '"|"'],
  ['$', '"$"'],
  ['`', 'a backtick'],
  ['<', '"<"'],
  ['>', '">"'],
  ['(', '"("'],
  [')', '")"'],
  ['\n', 'a newline'],
  ['\r', 'a carriage return'],
  ['\0', 'a NUL byte'],
]);

/** Refused outside quotes: a shell would expand them, we would not, and the operator should not have to guess. */
const FORBIDDEN_UNQUOTED = new Set(['*', '?', '[', ']', '{', '}', '~', '#', '!', '\\']);

/**
 * Splits an operator-configured command line (`systemctl reload nginx`) into argv. Words split on
 * blanks; '...' is literal; "..." allows only \" and \\ escapes. Shell metacharacters are refused
 * with a ConfigValidationError, because the command runs without a shell.
 */
export function parseOperatorCommand(text: string, options: ParseOperatorCommandOptions = {}): string[] {
  const field = options.field ?? 'command';
  const refuse = (message: string): never => {
    throw new ConfigValidationError({ connector: options.connector, issues: [{ path: field, message }] });
  };
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let quote: "'" | '"' | undefined;

  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    const forbidden = FORBIDDEN_ANYWHERE.get(c);
    if (forbidden) {
      refuse(
        `contains ${forbidden} at position ${i + 1}: commands run without a shell, so ; & | $ \` < > ( ) and line breaks are not allowed; put multi-step logic in a script and configure its path`,
      );
    }
    if (quote === "'") {
      if (c === "'") quote = undefined;
      else word += c;
    } else if (quote === '"') {
      if (c === '"') quote = undefined;
      else if (c === '\\') {
        const next = text[i + 1];
        if (next !== '"' && next !== '\\')
          refuse(
            `has a backslash at position ${i + 1} that escapes nothing; inside "..." only \\" and \\\\ are allowed`,
          );
        word += next;
        i++;
      } else word += c;
    } else if (c === ' ' || c === '\t') {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else if (c === "'" || c === '"') {
      quote = c;
      inWord = true;
    } else if (FORBIDDEN_UNQUOTED.has(c)) {
      refuse(
        `contains "${c}" at position ${i + 1} outside quotes; quote the argument if the character is meant literally`,
      );
    } else {
      word += c;
      inWord = true;
    }
  }
  if (quote) refuse(`has an unterminated ${quote === "'" ? 'single' : 'double'} quote`);
  if (inWord) words.push(word);
  if (words.length === 0) refuse('is empty');
  if (words[0] === '') refuse('starts with an empty program name');
  return words;
}

/** Why `text` is not an acceptable operator command, or undefined when it is (for config schema refinements). */
export function operatorCommandProblem(text: string): string | undefined {
  try {
    parseOperatorCommand(text);
    return undefined;
  } catch (error) {
    if (ConfigValidationError.isInstance(error)) return error.issues[0]?.message ?? error.message;
    throw error;
  }
}

/** For a zod `.superRefine(refineOperatorCommand)` on a command config field: adds the reason it is refused. */
export function refineOperatorCommand(
  text: string,
  ctx: { addIssue(issue: { code: 'custom'; message: string }): void },
): void {
  const problem = operatorCommandProblem(text);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
}
