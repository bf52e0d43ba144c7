import { readFileSync } from 'node:fs';
import { extname, isAbsolute, resolve } from 'node:path';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { ConfigError } from '../config/errors.ts';
import { LOGO_TYPES } from '../config/schema-landing.ts';
import type { HubContext } from '../context.ts';

/**
 * `<base>hub/logo`: the admin's logo_file, read once at start (a missing or unreadable file stops the
 * start with the reason, rather than a broken image on every page). Without logo_file there is no route.
 */
export function registerLogo(app: FastifyInstance<any, any, any, any, any>, ctx: HubContext): void {
  const file = ctx.config.logo_file;
  if (file === '') return;
  const path = isAbsolute(file) ? file : resolve(ctx.stateDir, file);
  let body: Buffer;
  try {
    body = readFileSync(path);
  } catch (err) {
    throw new ConfigError([`logo_file: cannot read ${path}: ${(err as Error).message}`]);
  }
  const type = LOGO_TYPES[extname(path).toLowerCase()] ?? 'application/octet-stream';
  app.get(`${ctx.baseUrl}hub/logo`, { schema: { hide: true } }, async (_req, reply: FastifyReply) =>
    reply.type(type).header('Cache-Control', 'no-cache').send(body),
  );
}
