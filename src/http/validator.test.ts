import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Type } from 'typebox';
import { validatorCompiler } from './validator.ts';

const compile = (schema: unknown, httpPart: string) =>
  validatorCompiler({ schema, httpPart, method: 'GET', url: '/x' } as never) as (v: unknown) => {
    value?: unknown;
    error?: unknown;
  };

test('a query string of strings only is checked as it came', () => {
  const check = compile(Type.Object({ limit: Type.Optional(Type.String()) }), 'querystring');
  const value = { limit: '5' };
  assert.equal(check(value).value, value);
  const bad = check({ limit: ['1', '2'] });
  assert.equal(bad.value, undefined);
  assert.ok(Array.isArray(bad.error) && bad.error.length > 0, 'a repeated parameter is refused with the reason');
});

test('a query string with other types is converted first, as the TypeBox provider does', () => {
  const check = compile(Type.Object({ limit: Type.Integer() }), 'querystring');
  assert.deepEqual(check({ limit: '5' }).value, { limit: 5 });
  assert.ok(check({ limit: 'five' }).error);
});

test('bodies are never converted', () => {
  const check = compile(Type.Object({ admin: Type.Boolean() }), 'body');
  assert.ok(check({ admin: 'true' }).error, 'a string is not a boolean in JSON');
  assert.deepEqual(check({ admin: true }).value, { admin: true });
});
