import { findTokens } from '../format.ts';

/** Where in a notebook a token was found: the cell, and the output or attachment of it (neither: the source). */
export interface NotebookSpot {
  cell: number;
  output: number | null;
  attachment: string | null;
  token: string;
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const isObject = (v: unknown): v is Record<string, Json> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The text of a notebook field: a string, a list of lines, or (application/json and widget data) any JSON. */
function textOf(v: Json | undefined): string {
  if (v === undefined || v === null) return '';
  if (typeof v === 'string') return v;
  if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v.join('');
  return JSON.stringify(v);
}

function outputText(output: Record<string, Json>): string {
  // stream text, every mime type of display data and results, an error's name, value and traceback.
  const data = isObject(output.data) ? Object.values(output.data).map(textOf) : [];
  return [textOf(output.text), ...data, textOf(output.ename), textOf(output.evalue), textOf(output.traceback)].join(
    '\n',
  );
}

/** An attachment's content: its mime bundle, base64 (images, files) decoded, text as is. */
function attachmentText(bundle: Json): string {
  if (!isObject(bundle)) return '';
  return Object.entries(bundle)
    .map(([mime, v]) => {
      const text = textOf(v);
      return mime.startsWith('text/') || mime.endsWith('json') ? text : Buffer.from(text, 'base64').toString('latin1');
    })
    .join('\n');
}

/**
 * The tokens in a notebook (nbformat 4: cells with outputs and attachments), by place: each cell's source,
 * each output and each attachment. Null when `text` is not a notebook, so the caller reads it as plain text.
 */
export function notebookTokens(text: string): NotebookSpot[] | null {
  let nb: unknown;
  try {
    nb = JSON.parse(text);
  } catch {
    return null;
  }
  if (!isObject(nb) || !Array.isArray(nb.cells)) return null;
  const spots: NotebookSpot[] = [];
  nb.cells.forEach((cell, c) => {
    if (!isObject(cell)) return;
    for (const token of findTokens(textOf(cell.source))) spots.push({ cell: c, output: null, attachment: null, token });
    if (Array.isArray(cell.outputs))
      cell.outputs.forEach((out, o) => {
        if (!isObject(out)) return;
        for (const token of findTokens(outputText(out))) spots.push({ cell: c, output: o, attachment: null, token });
      });
    if (isObject(cell.attachments))
      for (const [name, bundle] of Object.entries(cell.attachments))
        for (const token of findTokens(attachmentText(bundle)))
          spots.push({ cell: c, output: null, attachment: name, token });
  });
  return spots;
}
