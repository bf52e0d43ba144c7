import type { Config } from '../config/index.ts';
import { serverReady, serverUrl } from '../api/present-server.ts';
import { type ShareCodeView, type ShareView, scopesOn } from './repo.ts';

/** What the models need besides the rows: where the hub is, inside and (with `public_url`) outside. */
export interface ShareUrls {
  baseUrl: string;
  publicUrl: string | null;
}

/** `public_url` when the config has one (its key belongs to the landing work); null otherwise. */
export function shareUrls(baseUrl: string, config: Config): ShareUrls {
  const publicUrl = (config as { public_url?: string | null }).public_url ?? null;
  return { baseUrl, publicUrl: publicUrl || null };
}

function full(urls: ShareUrls, path: string): string | null {
  return urls.publicUrl ? new URL(path, urls.publicUrl).toString() : null;
}

type ServerOf = Pick<ShareView, 'owner_name' | 'server_name' | 'server_url' | 'pending'>;

/** Upstream's cut-down server model in shares: its owner, name, URLs and readiness only. */
function presentSharedServer(urls: ShareUrls, v: ServerOf) {
  const url = serverUrl(urls.baseUrl, v.owner_name, v.server_name);
  return { user: { name: v.owner_name }, name: v.server_name, url, full_url: full(urls, url), ready: serverReady(v) };
}

export function presentShare(urls: ShareUrls, v: ShareView) {
  return {
    server: presentSharedServer(urls, v),
    scopes: scopesOn(v),
    user: v.user_name !== null ? { name: v.user_name } : null,
    group: v.group_name !== null ? { name: v.group_name } : null,
    kind: v.group_name !== null ? 'group' : 'user',
    created_at: v.created_at,
  };
}

/** A share code's model; `code` (with its accept links) only in the answer that made it. */
export function presentShareCode(urls: ShareUrls, v: ShareCodeView, code?: string) {
  const model: Record<string, unknown> = {
    server: presentSharedServer(urls, v),
    scopes: scopesOn(v),
    id: `sc_${v.id}`,
    created_at: v.created_at,
    expires_at: v.expires_at,
    exchange_count: v.exchange_count,
    last_exchanged_at: v.last_exchanged_at,
  };
  if (code !== undefined) {
    const acceptUrl = `${urls.baseUrl}hub/accept-share?${new URLSearchParams({ code })}`;
    Object.assign(model, { code, accept_url: acceptUrl, full_accept_url: full(urls, acceptUrl) });
  }
  return model;
}
