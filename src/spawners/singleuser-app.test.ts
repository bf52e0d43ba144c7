import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { interpreterOf, singleuserAppFor } from './singleuser-app.ts';

const dir = mkdtempSync(join(tmpdir(), 'tshub-su-'));
const script = (name: string, text: string) => {
  const p = join(dir, name);
  writeFileSync(p, text);
  chmodSync(p, 0o755);
  return p;
};

test('the interpreter comes from the #! line, with env and its arguments', () => {
  assert.deepEqual(interpreterOf(script('a', '#!/usr/bin/python3\nprint(1)\n')), ['/usr/bin/python3']);
  assert.deepEqual(interpreterOf(script('b', '#! /usr/bin/env python3 -s\n')), ['/usr/bin/env', 'python3', '-s']);
  assert.equal(interpreterOf(script('c', 'ELF binary')), null);
  assert.equal(interpreterOf(join(dir, 'missing')), null);
});

test('a script that is not Python gets no app', async () => {
  assert.equal(await singleuserAppFor(script('sh', '#!/bin/sh\nexit 0\n')), null);
});

test("a Python whose answer is not the classic Notebook's app gets none", async () => {
  // A stand-in interpreter that prints something else: only the exact app name is taken.
  const fake = script('fake-python', '#!/bin/sh\necho something.else.App\n');
  assert.equal(await singleuserAppFor(script('su', `#!${fake}\n`)), null);
});

test('a Python that answers the classic Notebook app gets it', async () => {
  const fake = script('fake-python3', '#!/bin/sh\necho notebook.notebookapp.NotebookApp\n');
  assert.equal(await singleuserAppFor(script('su3', `#!${fake}\n`)), 'notebook.notebookapp.NotebookApp');
});
