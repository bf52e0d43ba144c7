import type { FastifyInstance, FastifyRequest } from 'fastify';

/** A parsed application/x-www-form-urlencoded body: repeated fields (checkboxes) become arrays. */
export type FormBody = Record<string, string | string[]>;

/**
 * Form bodies for the pages and the OAuth endpoints. Fastify's parsers are encapsulated, so adding
 * this inside the web plugin leaves the API's read-everything-as-JSON parser untouched elsewhere.
 */
export function registerFormParser(app: FastifyInstance<any, any, any, any, any>): void {
  app.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string' },
    (_req: FastifyRequest, body: string | Buffer, done: (err: Error | null, value?: unknown) => void) => {
      // A null prototype: a field named __proto__ must stay a field.
      const out: FormBody = Object.create(null);
      for (const [k, v] of new URLSearchParams(String(body))) {
        const cur = out[k];
        out[k] = cur === undefined ? v : Array.isArray(cur) ? [...cur, v] : [cur, v];
      }
      done(null, out);
    },
  );
}

/** A single-valued field; a repeated one counts as absent (never guess which copy was meant). */
export function field(body: unknown, name: string): string | undefined {
  if (!body || typeof body !== 'object') return undefined;
  const v = (body as Record<string, unknown>)[name];
  return typeof v === 'string' ? v : undefined;
}

export function fieldList(body: unknown, name: string): string[] {
  if (!body || typeof body !== 'object') return [];
  const v = (body as Record<string, unknown>)[name];
  if (typeof v === 'string') return [v];
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}
