/**
 * PowerShell generated from validated values only: every value reaches a script as a single-quoted
 * literal (quotes doubled, including the typographic quotes PowerShell also accepts as quotes), a
 * plain integer or $true/$false, inside one parameter block the fixed script body reads from.
 */
import { ConfigValidationError } from '@certctl/core';

export type PowerShellValue = string | number | boolean | null | readonly string[];

/** Characters PowerShell treats as a single quote: ' and U+2018..U+201B. */
const SINGLE_QUOTES = /['\u2018\u2019\u201A\u201B]/g;

/** Whether `value` has a C0 control character or DEL (never handed to PowerShell). */
export function hasControlCharacter(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code < 0x20 || code === 0x7f) return true;
  }
  return false;
}

/** A PowerShell single-quoted string literal: nothing inside is expanded or executed. */
export function quotePowerShell(value: string): string {
  // Single-quoted strings may span lines in PowerShell, but no value of ours has a reason to.
  if (hasControlCharacter(value)) {
    throw new ConfigValidationError({
      issues: [{ path: '', message: 'a value handed to PowerShell may not contain control characters' }],
    });
  }
  return `'${value.replace(SINGLE_QUOTES, (q) => q + q)}'`;
}

/** A value as a PowerShell literal expression. */
export function powerShellLiteral(value: PowerShellValue): string {
  if (value === null) return '$null';
  if (typeof value === 'boolean') return value ? '$true' : '$false';
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw new RangeError(`not an integer: ${value}`);
    return String(value);
  }
  if (Array.isArray(value)) return `@(${value.map((v) => quotePowerShell(v)).join(', ')})`;
  return quotePowerShell(value as string);
}

const PARAMETER_NAME = /^[A-Z][A-Za-z0-9]{0,63}$/;

/** The script: `$ErrorActionPreference = 'Stop'`, the `$certctl` parameter table, then the fixed body. */
export function renderPowerShellScript(parameters: Record<string, PowerShellValue>, body: string): string {
  const lines = Object.entries(parameters).map(([name, value]) => {
    if (!PARAMETER_NAME.test(name)) throw new RangeError(`not a parameter name: ${name}`);
    return `  ${name} = ${powerShellLiteral(value)}`;
  });
  return `$ErrorActionPreference = 'Stop'\n$ProgressPreference = 'SilentlyContinue'\n$certctl = @{\n${lines.join('\n')}\n}\n${body.trim()}\n`;
}

/**
 * The command that runs a script handed over on stdin (base64 of UTF-8): short and constant, so the
 * script (with a PFX in it) never meets the 8 KB command-line limit or a process listing.
 */
export const POWERSHELL_STDIN_BOOTSTRAP =
  '$s = [Console]::In.ReadToEnd(); & ([ScriptBlock]::Create([Text.Encoding]::UTF8.GetString([Convert]::FromBase64String($s.Trim()))))';

/** `-EncodedCommand` takes base64 of UTF-16LE. */
export function encodePowerShellCommand(script: string): string {
  return Buffer.from(script, 'utf16le').toString('base64');
}

export const POWERSHELL_ARGUMENTS: readonly string[] = Object.freeze([
  '-NoLogo',
  '-NoProfile',
  '-NonInteractive',
  '-ExecutionPolicy',
  'Bypass',
  '-EncodedCommand',
  encodePowerShellCommand(POWERSHELL_STDIN_BOOTSTRAP),
]);

/** What the bootstrap reads from stdin for `script`. */
export function powerShellStdin(script: string): string {
  return `${Buffer.from(script, 'utf8').toString('base64')}\r\n`;
}

/** The script a stdin payload carries (the inverse of `powerShellStdin`, for fakes and tests). */
export function scriptFromPowerShellStdin(stdin: string): string {
  return Buffer.from(stdin.trim(), 'base64').toString('utf8');
}
