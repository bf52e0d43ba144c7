import type { FastifyRequest } from 'fastify';
import { invalidRequest } from '../errors/index.ts';
import type { Config } from '../config/index.ts';

export const PAGINATION_MEDIA_TYPE = 'application/jupyterhub-pagination+json';

export interface Page {
  offset: number;
  limit: number;
  paginated: boolean;
}

function intArg(value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!/^\s*[+-]?\d+\s*$/.test(value)) throw invalidRequest('Invalid argument type, offset and limit must be integers');
  return Math.abs(Number.parseInt(value, 10));
}

/** Upstream's rules: limit capped at the max and at least 1; without the pagination Accept header the default limit is the max. */
export function pageOf(req: FastifyRequest, config: Config, query: { offset?: string; limit?: string }): Page {
  const paginated = (req.headers.accept ?? '').includes(PAGINATION_MEDIA_TYPE);
  const max = config.api_page_max_limit;
  const offset = intArg(query.offset, 0);
  const limit = Math.max(1, Math.min(intArg(query.limit, paginated ? config.api_page_default_limit : max), max));
  return { offset, limit, paginated };
}

export function paginated<T>(req: FastifyRequest, page: Page, items: T, total: number) {
  let next: { offset: number; limit: number; url: string } | null = null;
  if (page.offset + page.limit < total) {
    const url = new URL(req.url, `${req.protocol}://${req.host}`);
    url.searchParams.set('offset', String(page.offset + page.limit));
    url.searchParams.set('limit', String(page.limit));
    next = { offset: page.offset + page.limit, limit: page.limit, url: url.toString() };
  }
  return { items, _pagination: { offset: page.offset, limit: page.limit, total, next } };
}
