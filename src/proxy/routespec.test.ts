import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  canonicalRoutespec,
  chpApiPath,
  normalizeRoutespec,
  quoteLikeJupyterHub,
  routespecFromChpPath,
  routespecToChpPath,
} from './routespec.ts';

describe('routespecs', () => {
  it('adds the trailing slash and refuses host routes', () => {
    assert.equal(normalizeRoutespec('/user/alice'), '/user/alice/');
    assert.equal(normalizeRoutespec('/'), '/');
    assert.throws(() => normalizeRoutespec('host.example/user/'), /host-based routing/);
  });

  it('maps to CHP paths without the trailing slash, except the root', () => {
    assert.equal(routespecToChpPath('/user/alice/'), '/user/alice');
    assert.equal(routespecToChpPath('/'), '/');
    assert.equal(chpApiPath('/user/alice/'), '/api/routes/user/alice');
    assert.equal(chpApiPath('/'), '/api/routes/');
    assert.equal(chpApiPath('/services/my%20svc/'), '/api/routes/services/my%20svc');
  });

  it('escapes what would break the request path, keeping existing escapes', () => {
    assert.equal(routespecToChpPath('/user/a b?x#y/'), '/user/a%20b%3Fx%23y');
    assert.equal(routespecToChpPath('/user/100%/'), '/user/100%25');
    assert.equal(routespecToChpPath('/user/é/'), '/user/%C3%A9');
  });

  it('re-escapes CHP keys as JupyterHub does (quote, safe @/~)', () => {
    assert.equal(quoteLikeJupyterHub('/user/a b+c@d~e'), '/user/a%20b%2Bc@d~e');
    assert.equal(routespecFromChpPath('/user/alice'), '/user/alice/');
    assert.equal(routespecFromChpPath('/'), '/');
    assert.equal(routespecFromChpPath('/user/é'), '/user/%C3%A9/');
  });

  it('round-trips to the canonical form', () => {
    assert.equal(canonicalRoutespec('/user/alice'), '/user/alice/');
    assert.equal(canonicalRoutespec('/user/a%20b/'), '/user/a%20b/');
    assert.equal(canonicalRoutespec('/user/a+b/'), '/user/a%2Bb/');
    assert.equal(canonicalRoutespec('/user/%c3%a9/'), '/user/%C3%A9/');
    assert.equal(canonicalRoutespec('/'), '/');
  });
});
