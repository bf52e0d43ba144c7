import type { FastifyInstance, FastifyRequest } from 'fastify';
import { invalidRequest } from '../errors/index.ts';

// ignoreBOM keeps a byte-order mark in the text, so JSON.parse refuses it as JupyterHub's json.loads does
// (a decoder that dropped it would accept a body upstream answers 400).
const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * The deepest nesting of arrays and objects a body may have. Upstream's Python parser gives up at
 * about this depth (its recursion limit) with "Invalid JSON"; deeper values would also overflow the
 * stack when stored or serialized again.
 */
export const MAX_JSON_DEPTH = 1000;

/** True if `text` nests arrays/objects deeper than `max` (strings skipped); a linear scan, no recursion. */
export function nestsDeeperThan(text: string, max: number): boolean {
  // Each level needs at least two characters, so short bodies cannot be too deep.
  if (text.length <= 2 * max) return false;
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) return true;
    } else if (c === 0x5d || c === 0x7d) {
      depth--;
    }
  }
  return false;
}

/** True if a parsed JSON value holds a NUL character in any string or key (depth is already bounded). */
function holdsNul(value: unknown): boolean {
  if (typeof value === 'string') return value.includes('\u0000');
  if (Array.isArray(value)) return value.some(holdsNul);
  if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) if (k.includes('\u0000') || holdsNul(v)) return true;
  }
  return false;
}

/**
 * JupyterHub reads every API body as JSON whatever its Content-Type (scripts often send none, or
 * text/plain), so we do too. Form posts from pages are parsed elsewhere; an empty body is "no body", as
 * upstream treats it.
 */
export function registerJsonBodies(app: FastifyInstance<any, any, any, any, any>): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(
    '*',
    { parseAs: 'buffer' },
    (_req: FastifyRequest, body: Buffer, done: (err: Error | null, value?: unknown) => void) => {
      if (body.length === 0) return done(null, undefined);
      let text: string;
      try {
        text = decoder.decode(body);
      } catch {
        return done(invalidRequest('Request body is not valid UTF-8'));
      }
      if (nestsDeeperThan(text, MAX_JSON_DEPTH)) return done(invalidRequest('Invalid JSON in body of request'));
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch {
        return done(invalidRequest('Invalid JSON in body of request'));
      }
      // No name, note or scope may hold a NUL (PostgreSQL refuses one in any text parameter): refuse
      // it here with a 400 rather than a database error later. Only bodies that spell one are walked.
      if (text.includes('\\u0000') && holdsNul(value))
        return done(invalidRequest('Request body must not contain NUL characters'));
      done(null, value);
    },
  );
}
