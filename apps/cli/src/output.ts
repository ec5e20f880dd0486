import { stringify } from 'yaml';

export type OutputFormat = 'table' | 'json' | 'yaml';

export interface Terminal {
  write(text: string): void;
  /** Columns of the terminal, when stdout is one. */
  columns?: number;
  /** Colours are used only on a TTY (and never with NO_COLOR). */
  color: boolean;
}

/** A table column: a header and how to read the cell from a row. */
export interface Column<T> {
  header: string;
  value(row: T): unknown;
}

const cell = (value: unknown): string => {
  if (value === null || value === undefined) return '';
  if (Array.isArray(value)) return value.map(cell).join(',');
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
};

const bold = (text: string, color: boolean) => (color ? `\u001b[1m${text}\u001b[22m` : text);

/**
 * Rows as a table that fits the terminal: columns keep their natural width while they fit, and the
 * widest ones are cut (with "…") until the line does.
 */
export function renderTable<T>(rows: readonly T[], columns: readonly Column<T>[], terminal: Terminal): string {
  const cells = rows.map((row) => columns.map((column) => cell(column.value(row)).replace(/\s+/g, ' ')));
  const widths = columns.map((column, i) => Math.max(column.header.length, ...cells.map((r) => r[i]!.length)));
  const gap = 2;
  const available = terminal.columns ?? Number.POSITIVE_INFINITY;
  const total = () => widths.reduce((sum, w) => sum + w, 0) + gap * (widths.length - 1);
  while (total() > available) {
    const widest = widths.indexOf(Math.max(...widths));
    if (widths[widest]! <= 4) break;
    widths[widest] = widths[widest]! - 1;
  }
  const fit = (text: string, width: number) =>
    text.length > width ? `${text.slice(0, Math.max(0, width - 1))}…` : text.padEnd(width);
  const line = (values: string[]) =>
    values
      .map((v, i) => (i === values.length - 1 ? fit(v, widths[i]!).trimEnd() : fit(v, widths[i]!)))
      .join(' '.repeat(gap));
  const header = bold(line(columns.map((c) => c.header.toUpperCase())), terminal.color);
  return `${[header, ...cells.map(line)].join('\n')}\n`;
}

/** Writes a value in the chosen format: tables for lists and records, JSON or YAML as the API sent it. */
export function printValue<T>(
  value: T | readonly T[],
  format: OutputFormat,
  terminal: Terminal,
  columns?: readonly Column<T>[],
): void {
  terminal.write(formatValue(value, format, terminal, columns));
}

function formatValue<T>(
  value: T | readonly T[],
  format: OutputFormat,
  terminal: Terminal,
  columns?: readonly Column<T>[],
): string {
  if (format === 'json') return `${JSON.stringify(value, null, 2)}\n`;
  if (format === 'yaml') return stringify(value);
  if (Array.isArray(value)) {
    if (value.length === 0) return '(none)\n';
    const cols =
      columns ??
      Object.keys(value[0] as object).map((key) => ({
        header: key,
        value: (row: T) => (row as Record<string, unknown>)[key],
      }));
    return renderTable(value as T[], cols, terminal);
  }
  // One record: key/value lines.
  const entries = Object.entries(value as Record<string, unknown>);
  const width = Math.max(...entries.map(([key]) => key.length));
  return `${entries.map(([key, v]) => `${bold(key.padEnd(width), terminal.color)}  ${cell(v)}`).join('\n')}\n`;
}
