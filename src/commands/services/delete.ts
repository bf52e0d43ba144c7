import { notFound, notModifiable } from '../../errors/index.ts';
import { deleteServiceWithRecords, findService } from '../../repo/services.ts';
import { servicePrefix } from '../../services/index.ts';
import type { Caller } from '../deps.ts';
import type { ServiceDeps } from './create.ts';

/** DELETE /services/{name}: only a service created through the API; it goes with its tokens, client and route. */
export async function deleteService(deps: ServiceDeps, caller: Caller, input: { name: string }): Promise<void> {
  const service = await findService(deps.k, input.name);
  if (!service) throw notFound();
  if (service.from_config === 1) throw notModifiable(`Service ${service.name} is not modifiable at runtime`);
  await deps.k.transaction().execute((trx) => deleteServiceWithRecords(trx, service));
  deps.permissions.invalidate();
  if (service.url) {
    try {
      await deps.proxy.deleteRoute(servicePrefix(deps.baseUrl, service.name));
    } catch (err) {
      deps.log.warn({ service: service.name, err: (err as Error).message }, 'could not delete the service route now');
    }
  }
  deps.log.info({ actor: caller.principal?.name ?? null, service: service.name }, 'deleted service');
  deps.audit.record({ ...caller.origin, action: 'service.delete', target: { kind: 'service', name: service.name } });
}
