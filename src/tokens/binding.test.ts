import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseBindings } from '../proxy/server/bindings-api.ts';
import { TokenBindings } from '../proxy/server/bindings.ts';
import { bindingFailure, canonicalCidr, compileBinding, parseCidrs } from './binding.ts';

test('CIDRs are read in canonical form; anything else is refused', () => {
  assert.equal(canonicalCidr('127.0.0.1'), '127.0.0.1/32');
  assert.equal(canonicalCidr(' 10.0.0.0/8 '), '10.0.0.0/8');
  assert.equal(canonicalCidr('2001:DB8::/32'), '2001:db8::/32');
  assert.equal(canonicalCidr('::1'), '::1/128');
  for (const bad of ['10.0.0.0/33', '::/129', '1.2.3.4/', '1.2.3.4/-1', '1.2.3.4/1e1', '256.0.0.1', 'host', '', '/8'])
    assert.equal(canonicalCidr(bad), null, bad);
  assert.deepEqual(parseCidrs(['10.0.0.1', '10.0.0.1/32']), ['10.0.0.1/32']);
  assert.match(parseCidrs(['10.0.0.0/8', 'nope']) as string, /'nope' is not an IPv4 or IPv6 CIDR/);
  assert.match(parseCidrs(Array(65).fill('10.0.0.1')) as string, /at most 64/);
});

test('a binding refuses addresses outside its CIDRs and any use before not_before', () => {
  const b = compileBinding({ allowedCidrs: ['127.0.0.1/32', '10.0.0.0/8', 'fd00::/8'], notBefore: null });
  assert.equal(bindingFailure(b, '127.0.0.1'), null);
  assert.equal(bindingFailure(b, '::ffff:127.0.0.1'), null, 'a dual-stack socket address');
  assert.equal(bindingFailure(b, '10.200.3.4'), null);
  assert.equal(bindingFailure(b, 'fd12::1'), null);
  assert.equal(bindingFailure(b, '127.0.0.2'), 'token_ip_not_allowed');
  assert.equal(bindingFailure(b, '::1'), 'token_ip_not_allowed');
  assert.equal(bindingFailure(b, null), 'token_ip_not_allowed');
  assert.equal(bindingFailure(b, 'garbage'), 'token_ip_not_allowed');
  const later = compileBinding({ allowedCidrs: [], notBefore: '2030-01-01T00:00:00.000Z' });
  assert.equal(bindingFailure(later, '1.2.3.4', Date.parse('2029-12-31T23:59:59Z')), 'token_not_yet_valid');
  assert.equal(bindingFailure(later, '1.2.3.4', Date.parse('2030-01-01T00:00:00Z')), null);
  assert.equal(bindingFailure(compileBinding({ allowedCidrs: [], notBefore: null }), null), null);
});

test("the proxy's /api/bindings body is checked, and a set sent in parts replaces the old one at its last part", () => {
  const d = (n: number) => `sha256:${String(n).padStart(64, '0')}`;
  for (const bad of [
    [],
    { bindings: [{ digest: 'x', allowed_cidrs: [] }] },
    { bindings: [{ digest: d(1), allowed_cidrs: ['10.0.0.0/99'] }] },
    { bindings: [{ digest: d(1), allowed_cidrs: [], not_before: 'soon' }] },
    { bindings: [{ digest: d(1), allowed_cidrs: [], extra: 1 }] },
    { bindings: [], first: 'yes' },
    { bindings: [], other: 1 },
  ])
    assert.equal(typeof parseBindings(bad), 'string', JSON.stringify(bad));
  const set = new TokenBindings();
  const part = (n: number, first: boolean, last: boolean) => {
    const p = parseBindings({ bindings: [{ digest: d(n), allowed_cidrs: ['10.0.0.0/8'] }], first, last });
    assert.ok(typeof p !== 'string');
    return set.receive(p.entries, p.first, p.last);
  };
  assert.equal(part(1, true, true), true);
  assert.equal(bindingFailure(set.of(d(1))!, '11.0.0.1'), 'token_ip_not_allowed');
  assert.equal(part(2, true, false), true);
  assert.ok(set.of(d(1)), 'the old set holds until the new one is whole');
  assert.equal(part(3, false, true), true);
  assert.equal(set.of(d(1)), undefined);
  assert.ok(set.of(d(2)) && set.of(d(3)));
  assert.equal(part(4, false, true), false, 'a later part without a first one');
});
