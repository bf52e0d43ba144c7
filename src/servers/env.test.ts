import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildConfig } from '../config/index.ts';
import { serverEnv } from './env.ts';

function envWith(public_url: string): Record<string, string> {
  return serverEnv({
    config: buildConfig({ bind_url: 'http://127.0.0.1:8000/jhub/', public_url }),
    baseUrl: '/jhub/',
    hubUrl: 'http://127.0.0.1:8081/',
    user: 'alice',
    server: 'work',
    prefix: '/jhub/user/alice/work/',
    clientId: 'jupyterhub-user-alice-work',
    token: 't',
    resources: {},
  });
}

test("public_url gives the server's JUPYTERHUB_PUBLIC_URL and the hub's JUPYTERHUB_PUBLIC_HUB_URL", () => {
  const env = envWith('https://hub.example.org/jhub/');
  assert.equal(env.JUPYTERHUB_PUBLIC_URL, 'https://hub.example.org/jhub/user/alice/work/');
  assert.equal(env.JUPYTERHUB_PUBLIC_HUB_URL, 'https://hub.example.org/jhub/hub/');
});

test("without public_url the server's public URL is unknown (empty, as upstream); the hub's comes from bind_url", () => {
  const env = envWith('');
  assert.equal(env.JUPYTERHUB_PUBLIC_URL, '');
  assert.equal(env.JUPYTERHUB_PUBLIC_HUB_URL, 'http://127.0.0.1:8000/jhub/hub/');
});
