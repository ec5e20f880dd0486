import { readFileSync } from 'node:fs';
import { parsePowerShellParameters } from '@certctl/connector-testkit';
import { describe, expect, it } from 'vitest';
import { FIXTURE_SCRIPTS } from './fixture-scripts.js';

describe('generated PowerShell equals the reviewed fixtures', () => {
  for (const [name, make] of Object.entries(FIXTURE_SCRIPTS)) {
    it(`__fixtures__/${name}`, () => {
      const fixture = readFileSync(new URL(`./__fixtures__/${name}`, import.meta.url), 'utf8');
      expect(make()).toBe(fixture);
      // Every value in the table is a literal PowerShell cannot expand.
      expect(() => parsePowerShellParameters(fixture)).not.toThrow();
    });
  }

  it('the site name reaches IIS as a literal', () => {
    expect(parsePowerShellParameters(FIXTURE_SCRIPTS['set-binding.ps1']!())).toMatchObject({
      SiteName: 'Default Web Site',
      Port: 443,
      Sni: true,
    });
  });
});
