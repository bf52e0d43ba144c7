// The discovery documents a client reads before it talks to the API: /version, /api, /apis, /api/v1.
import { RESOURCES } from './resources.ts';

const VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

export function discovery(path: string, host: string): unknown {
  switch (path) {
    case '/version':
      return {
        major: '1',
        minor: '33',
        gitVersion: 'v1.33.0-sim',
        gitCommit: '0000000000000000000000000000000000000000',
        gitTreeState: 'clean',
        buildDate: '2026-01-01T00:00:00Z',
        goVersion: 'go1.24.0',
        compiler: 'gc',
        platform: 'linux/amd64',
      };
    case '/api':
      return {
        kind: 'APIVersions',
        versions: ['v1'],
        serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: host }],
      };
    case '/apis':
      return { kind: 'APIGroupList', apiVersion: 'v1', groups: [] };
    case '/api/v1':
      return {
        kind: 'APIResourceList',
        groupVersion: 'v1',
        resources: Object.values(RESOURCES).flatMap((r) => {
          const main = {
            name: r.name,
            singularName: r.kind.toLowerCase(),
            namespaced: r.namespaced,
            kind: r.kind,
            verbs: r.readOnly ? ['get', 'list', 'watch'] : VERBS,
            shortNames: r.shortNames.length ? r.shortNames : undefined,
          };
          if (r.name !== 'pods') return [main];
          return [main, { name: 'pods/log', singularName: '', namespaced: true, kind: 'Pod', verbs: ['get'] }];
        }),
      };
    default:
      return undefined;
  }
}
