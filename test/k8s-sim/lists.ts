// Lists as the API server answers them: `<Kind>List` with the current resourceVersion, items ordered by
// namespace/name without their kind and apiVersion, filtered by label and field selectors, and paged by
// `limit` / `continue`. The simulator answers every list from its current state, so `resourceVersion=0`
// ("any version, from the cache") and an empty one ("the latest") see the same objects, and a continued
// list reads the objects as they are when continued (the real server serves one snapshot throughout).
import { parseFieldSelector, parseLabelSelector } from './selectors.ts';
import { badRequest, expired } from './status.ts';
import type { Resource } from './resources.ts';
import type { Obj, Store } from './store.ts';

interface ContinueToken {
  rv: number;
  after: string;
}

const keyOf = (o: Obj) => (o.metadata.namespace ? `${o.metadata.namespace}/${o.metadata.name}` : o.metadata.name);

function readToken(token: string, store: Store): ContinueToken {
  let t: ContinueToken;
  try {
    t = JSON.parse(Buffer.from(token, 'base64url').toString());
  } catch {
    throw badRequest('continue key is not valid: illegal base64 data');
  }
  if (typeof t?.rv !== 'number' || typeof t.after !== 'string')
    throw badRequest('continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)');
  if (t.rv < store.oldestResourceVersion)
    throw expired(
      'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.',
    );
  return t;
}

/** A list item as the server writes it in a list: the list's kind stands for the items'. */
function item(o: Obj): Obj {
  const { kind: _k, apiVersion: _a, ...rest } = o;
  return rest;
}

export function listObjects(store: Store, resource: Resource, ns: string | undefined, q: URLSearchParams): Obj {
  const labels = parseLabelSelector(q.get('labelSelector'));
  const fields = parseFieldSelector(resource.name, q.get('fieldSelector'));
  const limitText = q.get('limit');
  const limit = limitText ? Number(limitText) : 0;
  if (!Number.isInteger(limit) || limit < 0) throw badRequest(`limit: Invalid value: ${limitText}`);
  const token = q.get('continue') ? readToken(q.get('continue')!, store) : null;
  const rv = token?.rv ?? store.resourceVersion;
  const items: Obj[] = [];
  let more = false;
  let last = '';
  let remaining = 0;
  for (const o of store.list(resource.name, ns)) {
    if (token && keyOf(o) <= token.after) continue;
    if (!labels(o.metadata.labels) || !fields(o)) continue;
    if (limit && items.length >= limit) {
      more = true;
      remaining++;
      continue;
    }
    items.push(item(o));
    last = keyOf(o);
  }
  const metadata: Obj['metadata'] = { resourceVersion: String(rv) };
  if (more) {
    metadata.continue = Buffer.from(JSON.stringify({ rv, after: last })).toString('base64url');
    metadata.remainingItemCount = remaining;
  }
  return { kind: `${resource.kind}List`, apiVersion: 'v1', metadata, items };
}
