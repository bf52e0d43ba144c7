import type { FastifyInstance, FastifyRequest } from 'fastify';
import { HubError } from '../lib/errors.ts';

const decoder = new TextDecoder('utf-8', { fatal: true });

/**
 * JupyterHub reads every API body as JSON whatever its Content-Type (scripts often send none), so we do
 * too. Form posts from pages are parsed elsewhere; an empty body is "no body", as upstream treats it.
 */
export function registerJsonBodies(app: FastifyInstance<any, any, any, any, any>): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req: FastifyRequest, body: Buffer, done: (err: Error | null, value?: unknown) => void) => {
    if (body.length === 0) return done(null, undefined);
    let text: string;
    try {
      text = decoder.decode(body);
    } catch {
      return done(new HubError(400, 'Request body is not valid UTF-8'));
    }
    try {
      done(null, JSON.parse(text));
    } catch {
      done(new HubError(400, 'Invalid JSON in body of request'));
    }
  });
}
