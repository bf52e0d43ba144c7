import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Type } from 'typebox';
import Value from 'typebox/value';
import { applyDefaults } from './defaults.ts';
import { parseEnvValue } from './env.ts';
import { ConfigSchema } from './schema.ts';
import { validate } from './validate.ts';
import type { JsonSchema } from './validate.ts';

const asJson = (s: unknown): JsonSchema => s as JsonSchema;

describe('validate agrees with TypeBox', () => {
  const invalid: Record<string, unknown>[] = [
    { api_tokens: { abc: 'ada' } },
    { custom_scopes: { 'read:x': { description: 'd' } } },
    { bind_url: 'ftp://x' },
    { db_url: 'mysql://x' },
    { services: [{ name: '../x' }] },
    { services: [{ name: 'a', oauth_redirect_uri: 'x' }] },
    { services: [{ name: 'a', timeout: 0 }] },
    { spawner: { port_range: [1] } },
    { log_level: 'x' },
    { proxy: { bad: 1 } },
    { tokens: { max_active_per_user: 1.5 } },
  ];
  for (const input of invalid) {
    it(`rejects ${JSON.stringify(input)} both ways`, () => {
      const value = applyDefaults(ConfigSchema, structuredClone(input));
      assert.equal(Value.Check(ConfigSchema, value), false);
      assert.notEqual(validate(asJson(ConfigSchema), value).length, 0);
    });
  }

  it('accepts a valid non-default config both ways', () => {
    const value = applyDefaults(ConfigSchema, {
      api_tokens: { 'long-enough': 'ada' },
      custom_scopes: { 'custom:grades:read': { description: 'x', subscopes: [] } },
      services: [{ name: 'svc', url: 'https://svc.example/', oauth_redirect_uri: '/x' }],
      spawner: { port_range: [1000, 2000] },
    });
    assert.equal(Value.Check(ConfigSchema, value), true);
    assert.deepEqual(validate(asJson(ConfigSchema), value), []);
  });
});

describe('validate', () => {
  it('reports a problem inside the only branch of a union that fits the value', () => {
    const s = Type.Union([Type.Null(), Type.Array(Type.Integer())]);
    const problems = validate(asJson(s), [1, 'two'], ['xs']);
    assert.deepEqual(
      problems.map((p) => `${p.display}: ${p.text}`),
      ['xs[1]: expected an integer, got "two"'],
    );
  });

  it('reports missing required keys', () => {
    const s = Type.Object({ name: Type.String() }, { additionalProperties: false });
    assert.deepEqual(
      validate(asJson(s), {}).map((p) => `${p.display}: ${p.text}`),
      ['name: is missing (expected a string)'],
    );
  });
});

describe('parseEnvValue', () => {
  const str = asJson(Type.String());
  const nullableStr = asJson(Type.Union([Type.String(), Type.Null()]));
  const int = asJson(Type.Integer());
  const bool = asJson(Type.Boolean());
  const list = asJson(Type.Array(Type.String()));

  it('parses YAML scalars for non-string keys', () => {
    assert.equal(parseEnvValue('true', bool), true);
    assert.equal(parseEnvValue('42', int), 42);
    assert.deepEqual(parseEnvValue('[a, "b c"]', list), ['a', 'b c']);
    assert.equal(parseEnvValue('null', nullableStr), null);
  });

  it('keeps strings as written', () => {
    assert.equal(parseEnvValue('12345678', str), '12345678');
    assert.equal(parseEnvValue('true', str), 'true');
    assert.equal(parseEnvValue('a #b', str), 'a #b');
    assert.equal(parseEnvValue('"quoted"', str), 'quoted');
    assert.equal(parseEnvValue('key: value: x', str), 'key: value: x');
  });

  it('leaves a wrong value for validation to report', () => {
    assert.equal(parseEnvValue('often', int), 'often');
    assert.equal(parseEnvValue('1.5', int), 1.5);
  });
});
