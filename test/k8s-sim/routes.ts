// Which resource, namespace, name and verb a request path and method name, for the core/v1 paths the real
// server serves: /api/v1/namespaces/NS/RESOURCE[/NAME[/SUB]], /api/v1/RESOURCE[/NAME[/SUB]] (cluster-scoped
// kinds, and the all-namespaces lists of namespaced ones), and the legacy /api/v1/watch/… form.
import { RESOURCES, type Resource } from './resources.ts';
import { methodNotAllowed, noSuchPath } from './status.ts';

export interface Route {
  resource: Resource;
  ns: string | undefined;
  name: string | undefined;
  subresource: string | undefined;
  verb: string;
}

const SUBRESOURCES: Record<string, string[]> = { pods: ['log', 'status'], namespaces: ['status'] };

export function route(method: string, path: string, query: URLSearchParams): Route | null {
  let parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  if (parts[0] !== 'api' || parts[1] !== 'v1' || parts.length < 3) return null;
  parts = parts.slice(2);
  let watch = query.get('watch') === 'true' || query.get('watch') === '1';
  if (parts[0] === 'watch') {
    watch = true;
    parts = parts.slice(1);
  }
  let ns: string | undefined;
  if (parts[0] === 'namespaces' && parts.length >= 3 && RESOURCES[parts[2]!]?.namespaced) {
    ns = parts[1];
    parts = parts.slice(2);
  }
  const resource = RESOURCES[parts[0] ?? ''];
  if (!resource || parts.length > 3) throw noSuchPath();
  const name = parts[1];
  const subresource = parts[2];
  if (subresource && !SUBRESOURCES[resource.name]?.includes(subresource)) throw noSuchPath();
  // A namespaced kind is listable across namespaces, but an object of it is only reachable in its namespace.
  if (resource.namespaced && !ns && name) throw noSuchPath();
  const verb = verbOf(method, name !== undefined, watch);
  if (resource.readOnly && !['get', 'list', 'watch'].includes(verb)) throw methodNotAllowed();
  if (subresource && verb !== 'get') throw methodNotAllowed();
  return { resource, ns, name, subresource, verb };
}

function verbOf(method: string, item: boolean, watch: boolean): string {
  switch (method) {
    case 'GET':
      return watch ? 'watch' : item ? 'get' : 'list';
    case 'POST':
      if (item) throw methodNotAllowed();
      return 'create';
    case 'PUT':
      if (!item) throw methodNotAllowed();
      return 'update';
    case 'PATCH':
      if (!item) throw methodNotAllowed();
      return 'patch';
    case 'DELETE':
      return item ? 'delete' : 'deletecollection';
    default:
      throw methodNotAllowed();
  }
}
