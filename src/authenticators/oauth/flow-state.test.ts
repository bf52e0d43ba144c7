import assert from 'node:assert/strict';
import { test } from 'node:test';
import { signValue } from '../../auth/cookies.ts';
import { FLOW_COOKIE, type FlowState, flowCookie, readFlow } from './flow-state.ts';

const scope = { secret: Buffer.alloc(32, 7), path: '/hub/', secure: true };
const flow: FlowState = { state: 's'.repeat(43), nonce: 'n'.repeat(43), verifier: 'v'.repeat(43), next: '/hub/home' };
const header = (setCookie: string) => setCookie.split(';')[0]!;

test('the flow cookie is signed, httpOnly, Lax, short-lived, and reads back', () => {
  const c = flowCookie(scope, flow);
  assert.match(c, /^tshub-oauth-state=[^;]+; Path=\/hub\/; Max-Age=600; HttpOnly; Secure; SameSite=Lax$/);
  assert.deepEqual(readFlow(scope, header(c)), flow);
});

test('a cookie signed with another secret, altered, or too old is no flow', () => {
  const other = flowCookie({ ...scope, secret: Buffer.alloc(32, 8) }, flow);
  assert.equal(readFlow(scope, header(other)), null);
  const value = header(flowCookie(scope, flow)).split('=')[1]!;
  const [, ts, sig] = value.split('.');
  const forged = Buffer.from(JSON.stringify({ ...flow, verifier: 'mine' })).toString('base64url');
  assert.equal(readFlow(scope, `${FLOW_COOKIE}=${forged}.${ts}.${sig}`), null);
  const old = signValue(scope.secret, FLOW_COOKIE, JSON.stringify(flow), Date.now() - 601_000);
  assert.equal(readFlow(scope, `${FLOW_COOKIE}=${old}`), null);
});

test('a signed value without a state is no flow', () => {
  const empty = signValue(scope.secret, FLOW_COOKIE, JSON.stringify({ nonce: 'x' }));
  assert.equal(readFlow(scope, `${FLOW_COOKIE}=${empty}`), null);
});
