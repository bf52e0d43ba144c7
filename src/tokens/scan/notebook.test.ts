import assert from 'node:assert/strict';
import { test } from 'node:test';
import { generateToken } from '../format.ts';
import { notebookTokens } from './notebook.ts';

test('notebooks: tokens by cell and output, in any mime type and in base64 attachments', () => {
  // Legacy and typed tokens alike.
  const [src, out, json, att, err] = [1, 2, 3, 4, 5].map((i) =>
    generateToken(i % 2 ? { kind: 'p', hubId: 'AbC9' } : undefined),
  );
  const nb = JSON.stringify({
    cells: [
      { cell_type: 'code', source: [`t = "${src}"`], outputs: [] },
      {
        cell_type: 'code',
        source: '',
        outputs: [
          { output_type: 'stream', text: 'nothing' },
          { output_type: 'display_data', data: { 'text/html': [`<b>${out}</b>`], 'application/json': { k: json } } },
          { output_type: 'error', ename: 'E', evalue: err, traceback: [] },
        ],
        attachments: { 'a.png': { 'image/png': Buffer.from(`\0\0${att}\0`).toString('base64') } },
      },
    ],
  });
  assert.deepEqual(notebookTokens(nb), [
    { cell: 0, output: null, attachment: null, token: src },
    { cell: 1, output: 1, attachment: null, token: out },
    { cell: 1, output: 1, attachment: null, token: json },
    { cell: 1, output: 2, attachment: null, token: err },
    { cell: 1, output: null, attachment: 'a.png', token: att },
  ]);
  assert.equal(notebookTokens('{"cells": '), null, 'not JSON: read as text');
  assert.equal(notebookTokens('{"nbformat": 4}'), null, 'not a notebook');
});
