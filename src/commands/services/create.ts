import { requestedTokenScopes } from '../../tokens/requested-scopes.ts';
import { SERVICE_NAME_PATTERN } from '../../config/schema-services.ts';
import type { ServiceSpec } from '../../config/index.ts';
import type { ServiceRow } from '../../db/index.ts';
import { alreadyExists, invalidRequest } from '../../errors/index.ts';
import { defaultRoles } from '../../rbac/index.ts';
import { findService } from '../../repo/services.ts';
import { routeTarget, servicePrefix } from '../../services/index.ts';
import type { Caller, CommandDeps } from '../deps.ts';
import { writeServiceRecords } from './records.ts';

/** What the service commands need beyond the database: the running hub's token lookup, proxy and health checks. */
export interface ServiceDeps extends CommandDeps {
  baseUrl: string;
  identifier: { identify(secret: string): Promise<{ ok: boolean }> };
  proxy: {
    addRoute(prefix: string, target: string, data: Record<string, unknown>): Promise<void>;
    deleteRoute(prefix: string): Promise<void>;
  };
  services: { checkSoon(name: string, url: string): void };
}

const NAME_RE = new RegExp(SERVICE_NAME_PATTERN);

/** Upstream's _check_service_scopes: `admin` and OAuth client scopes may not exceed the requester's. */
async function checkSpecScopes(deps: CommandDeps, caller: Caller, spec: ServiceSpec): Promise<void> {
  const p = caller.principal;
  if (!p) return;
  const requested = [...spec.oauth_client_allowed_scopes];
  if (spec.admin) requested.push(...(defaultRoles().find((r) => r.name === 'admin')?.scopes ?? []));
  if (requested.length === 0) return;
  await requestedTokenScopes(deps.k, deps.config, { scopes: requested }, { kind: p.kind, name: p.name }, p.scopes);
}

/**
 * POST /services/{name}: an external service (one without `command`) added at runtime, with its
 * token, OAuth client and route. The spec has its defaults filled in already.
 */
export async function createService(deps: ServiceDeps, caller: Caller, spec: ServiceSpec): Promise<ServiceRow> {
  const { name } = spec;
  if (!NAME_RE.test(name))
    throw invalidRequest(
      `Invalid service name: ${JSON.stringify(name)}; use letters, digits, ".", "_" and "-", starting with a letter or digit`,
    );
  await checkSpecScopes(deps, caller, spec);
  if (spec.command !== null) throw invalidRequest(`Can not create managed service ${name} at runtime`);
  if (spec.api_token !== null && (await deps.identifier.identify(spec.api_token)).ok)
    throw invalidRequest(`Failed to create service ${name}: its api_token is already in use`);
  const row = await deps.k.transaction().execute(async (trx) => {
    // Checked in the transaction: a concurrent POST of the same name must not turn into an update.
    if (await findService(trx, name)) throw alreadyExists(`Service ${name} already exists`);
    const written = await writeServiceRecords(trx, spec, {
      baseUrl: deps.baseUrl,
      fromConfig: false,
      tokenNote: `service ${name} token from the API`,
    });
    return written.row;
  });
  deps.permissions.invalidate();
  if (spec.url) {
    try {
      await deps.proxy.addRoute(servicePrefix(deps.baseUrl, name), routeTarget(spec.url), { service: name });
    } catch (err) {
      // The route checker adds it on its next round; the service exists either way.
      deps.log.warn({ service: name, err: (err as Error).message }, 'could not add the service route now');
    }
    deps.services.checkSoon(name, spec.url);
  }
  deps.log.info({ actor: caller.principal?.name ?? null, service: name, url: spec.url }, 'created service');
  deps.audit.record({ ...caller.origin, action: 'service.create', target: { kind: 'service', name } });
  return row;
}
