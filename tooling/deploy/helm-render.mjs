// Renders the chart's templates with Go's own text/template (compiled to WebAssembly, from
// @evertdespiegeleer/go-template): the engine Helm uses, without Helm's extra functions (Sprig,
// include, toYaml), which the chart therefore does not use. Values come from values.yaml merged
// with overrides; missing keys are errors (stricter than Helm, which prints nothing).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as renderGoTemplate } from '@evertdespiegeleer/go-template';
import { parse as parseYaml, parseAllDocuments } from 'yaml';

function merge(base, override) {
  if (Array.isArray(override) || typeof override !== 'object' || override === null) return override;
  const out = { ...base };
  for (const [key, value] of Object.entries(override)) out[key] = merge(base?.[key], value);
  return out;
}

/**
 * @param {string} chartDir
 * @param {{ values?: Record<string, unknown>, releaseName?: string, namespace?: string }} [options]
 * @returns {Promise<{ values: any, files: Map<string, string>, manifests: { file: string, object: any }[] }>}
 */
export async function renderChart(chartDir, options = {}) {
  const chart = parseYaml(readFileSync(join(chartDir, 'Chart.yaml'), 'utf8'));
  const values = merge(parseYaml(readFileSync(join(chartDir, 'values.yaml'), 'utf8')), options.values ?? {});
  const context = {
    Values: values,
    Release: {
      Name: options.releaseName ?? 'prod',
      Namespace: options.namespace ?? 'certctl',
      Service: 'Helm',
      IsInstall: true,
      IsUpgrade: false,
      Revision: 1,
    },
    Chart: { Name: chart.name, Version: chart.version, AppVersion: chart.appVersion },
  };
  const templatesDir = join(chartDir, 'templates');
  const names = readdirSync(templatesDir).sort();
  // Helm parses every file of templates/ together, so definitions in _helpers.tpl are visible to all.
  const helpers = names
    .filter((name) => name.startsWith('_'))
    .map((name) => readFileSync(join(templatesDir, name), 'utf8'))
    .join('');
  const files = new Map();
  const manifests = [];
  for (const name of names.filter((n) => !n.startsWith('_'))) {
    let text;
    try {
      text = await renderGoTemplate(helpers + readFileSync(join(templatesDir, name), 'utf8'), context);
    } catch (error) {
      throw new Error(`templates/${name}: ${error.message}`);
    }
    files.set(name, text);
    if (!name.endsWith('.yaml')) continue;
    for (const doc of parseAllDocuments(text)) {
      if (doc.errors.length)
        throw new Error(`templates/${name} renders invalid YAML: ${doc.errors[0].message}\n${text}`);
      const object = doc.toJS();
      if (object) manifests.push({ file: name, object });
    }
  }
  return { values, files, manifests };
}
