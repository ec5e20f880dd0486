import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SERVER_FEATURES } from '../features/index.js';
import { renderSettingsTable, settingRows } from './settings-table.js';

const DOC = new URL('../../../../docs/configuration.md', import.meta.url);
const START = '<!-- settings-table:start (generated from the code; see settings-table.test.ts) -->';
const END = '<!-- settings-table:end -->';

describe('the settings table', () => {
  const rows = settingRows(SERVER_FEATURES);

  it('documents every variable, each declared once', () => {
    expect(rows.filter((row) => row.description.trim() === '').map((row) => row.name)).toEqual([]);
    const names = rows.map((row) => row.name);
    expect(names.filter((name, index) => names.indexOf(name) !== index)).toEqual([]);
  });

  it('in docs/configuration.md matches the code (UPDATE_SETTINGS_DOC=1 rewrites it)', () => {
    const doc = readFileSync(DOC, 'utf8');
    const start = doc.indexOf(START);
    const end = doc.indexOf(END);
    expect(start, `docs/configuration.md lacks the marker ${START}`).toBeGreaterThanOrEqual(0);
    expect(end).toBeGreaterThan(start);
    const expected = `${START}\n${renderSettingsTable(rows)}\n${END}`;
    if (process.env.UPDATE_SETTINGS_DOC === '1')
      writeFileSync(DOC, doc.slice(0, start) + expected + doc.slice(end + END.length));
    else expect(doc.slice(start, end + END.length)).toBe(expected);
  });
});
