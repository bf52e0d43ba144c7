import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { ConfigSchema, defaultConfig, generateConfigText, loadConfig } from './index.ts';
import { writeTemp } from './test-helpers.ts';
import type { JsonSchema } from './validate.ts';

/** Paths of schema properties that lack a description. */
function undescribed(s: JsonSchema, path: string): string[] {
  const out: string[] = [];
  const visit = (child: JsonSchema, p: string): void => {
    if (child.description === undefined || child.description === '') out.push(p);
    out.push(...undescribed(child, p));
  };
  for (const [k, child] of Object.entries(s.properties ?? {})) visit(child, `${path}.${k}`);
  for (const child of Object.values(s.patternProperties ?? {})) out.push(...undescribed(child, `${path}[*]`));
  if (s.items !== undefined && !Array.isArray(s.items)) out.push(...undescribed(s.items, `${path}[]`));
  return out;
}

describe('generateConfigText', () => {
  it('loads back to exactly the defaults', async () => {
    const file = writeTemp('generated.yaml', generateConfigText());
    const { config } = await loadConfig({ file, env: {} });
    assert.deepEqual(config, defaultConfig());
  });

  it('has every key, each after a comment', () => {
    const text = generateConfigText();
    const data = parse(text) as Record<string, unknown>;
    assert.deepEqual(Object.keys(data).sort(), Object.keys(ConfigSchema.properties).sort());
    const lines = text.split('\n');
    lines.forEach((line, i) => {
      if (/^\s*[a-z_]+:/.test(line)) assert.match(lines[i - 1] ?? '', /^\s*#/, `no comment above "${line}"`);
    });
    assert.match(text, /^ {2}api_url: http:\/\/127\.0\.0\.1:8001$/m);
    assert.match(text, /^# {3}api_token \(default null\): /m);
  });

  it('has a description for every schema property (the comments come from there)', () => {
    assert.deepEqual(undescribed(ConfigSchema as unknown as JsonSchema, ''), []);
  });
});
