import { z } from 'zod';
import { durationMs } from './env-values.js';
import type { AnyFeatureSettings } from './feature-settings.js';
import { SERVER_VARIABLES } from './server-config.js';

export interface SettingRow {
  name: string;
  /** `core`, or the feature whose settings declare it. */
  owner: string;
  defaultValue: string;
  description: string;
}

function formatDuration(ms: number): string {
  for (const [unit, size] of [
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1000],
  ] as const) {
    if (ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}

function defaultOf(schema: z.ZodType): string {
  if (!(schema instanceof z.ZodDefault)) return '';
  const value: unknown = schema.def.defaultValue;
  if (schema.def.innerType === durationMs && typeof value === 'number') return formatDuration(value);
  return String(value);
}

function rowsOf(owner: string, variables: Record<string, z.ZodType>): SettingRow[] {
  return Object.entries(variables).map(([name, schema]) => ({
    name,
    owner,
    defaultValue: defaultOf(schema),
    description: schema.description ?? '',
  }));
}

/** Every documented variable: the core's, then each feature's in the order of the feature list. */
export function settingRows(features: readonly { name: string; settings?: AnyFeatureSettings }[]): SettingRow[] {
  const rows = rowsOf('core', SERVER_VARIABLES);
  for (const feature of features) {
    if (!feature.settings) continue;
    rows.push(...rowsOf(feature.name, feature.settings.variables));
    for (const family of feature.settings.families?.documented ?? [])
      rows.push({ name: family.name, owner: feature.name, defaultValue: '', description: family.description });
  }
  return rows;
}

const cell = (text: string) => text.replaceAll('|', '\\|');

/** The Markdown table of `docs/configuration.md`, between its generated-table markers. */
export function renderSettingsTable(rows: readonly SettingRow[]): string {
  const lines = ['| Variable | Feature | Default | Meaning |', '|---|---|---|---|'];
  for (const row of rows)
    lines.push(
      `| \`${row.name}\` | ${row.owner} | ${row.defaultValue ? `\`${cell(row.defaultValue)}\`` : ''} | ${cell(row.description)} |`,
    );
  return lines.join('\n');
}
