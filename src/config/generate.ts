import { Document, isMap, isScalar, isSeq } from 'yaml';
import type { Pair, YAMLMap } from 'yaml';
import { defaultConfig } from './loader.ts';
import { ConfigSchema } from './schema.ts';
import type { JsonSchema } from './validate.ts';

// `tshub generate-config`: every key with its default and what it does, all read from the schema
// so that the file cannot drift from what the loader accepts.

const HEADER = [
  ' tshub configuration. Every key is shown with its default value; delete the ones you do not change.',
  " Keys follow JupyterHub's names. Environment variables override this file: TSHUB_<KEY> for",
  ' top-level keys (TSHUB_DB_URL), TSHUB_<SECTION>__<KEY> inside a section (TSHUB_PROXY__API_URL);',
  ' command-line flags override both.',
].join('\n');

// Lists and mappings that are empty by default get an example, commented out.
const EXAMPLES: Record<string, string[]> = {
  services: [
    '- name: idle-culler',
    '  command: [tshub, cull, --timeout=3600]',
    '- name: loader',
    '  api_token: "<at least 8 characters>"',
  ],
  load_roles: [
    '- name: culler',
    '  scopes: [list:users, read:users:activity, read:servers, delete:servers]',
    '  services: [idle-culler]',
  ],
  custom_scopes: ['"custom:grades:read":', '  description: Read the grades of a course', '  subscopes: []'],
  api_tokens: ['"<secret token, at least 8 characters>": <user name>'],
};

/** For a list or mapping of entries: one comment line per key the entries take. */
function entryKeys(s: JsonSchema): string[] {
  const item = s.type === 'array' && !Array.isArray(s.items) ? s.items : Object.values(s.patternProperties ?? {})[0];
  if (item?.properties === undefined) return [];
  const required = new Set(item.required ?? []);
  const lines = [' Each entry takes:'];
  for (const [key, prop] of Object.entries(item.properties)) {
    const note =
      'default' in prop ? `default ${JSON.stringify(prop.default)}` : required.has(key) ? 'required' : 'optional';
    lines.push(`   ${key} (${note}): ${prop.description ?? ''}`);
  }
  return lines;
}

function annotate(pairs: Pair[], props: Record<string, JsonSchema>, top: boolean): void {
  pairs.forEach((pair, i) => {
    const key = pair.key;
    if (!isScalar(key)) return;
    const schema = props[String(key.value)];
    if (schema === undefined) return;
    const lines = [` ${schema.description ?? ''}`];
    if (top) lines.push(...entryKeys(schema));
    const example = EXAMPLES[String(key.value)];
    if (example !== undefined) lines.push(' For example:', ...example.map((l) => `   ${l}`));
    key.commentBefore = lines.join('\n');
    key.spaceBefore = top && i > 0;
    if (isSeq(pair.value)) pair.value.flow = true;
    if (isMap(pair.value) && schema.properties !== undefined)
      annotate(pair.value.items as Pair[], schema.properties, false);
    else if (isMap(pair.value)) pair.value.flow = true;
  });
}

export function generateConfigText(): string {
  const doc = new Document(defaultConfig());
  doc.commentBefore = HEADER;
  const root = doc.contents as YAMLMap;
  annotate(root.items as Pair[], (ConfigSchema as unknown as JsonSchema).properties ?? {}, true);
  return doc.toString({ flowCollectionPadding: false, lineWidth: 0 });
}
