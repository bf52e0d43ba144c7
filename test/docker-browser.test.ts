// The docker spawner as a user meets it, in headless Chromium against a real hub and a private real
// dockerd (test/docker-engine.ts): pick a profile on the spawn page, the container gets that profile's
// image and memory limit, the notebook opens through the proxy, a kernel in the container runs 1+1
// over its WebSocket, and stopping removes the container.
import { executeOverChannels } from './kernel-execute.ts';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { chromium, type Browser } from 'playwright-core';
import { dockerSkipReason, startDockerEngine, type DockerEngine } from './docker-engine.ts';
import { startHub, type TestHub } from './harness.ts';

const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));
const USER_LABEL = 'org.jupyter.hub.user';

/**
 * As a notebook front end does, with the user's API token (jupyterhub-singleuser takes it in the
 * Authorization header and, for the WebSocket, in ?token=): start a kernel with the server's REST API,
 * open its channels WebSocket through the proxy, send an execute_request, wait for its execute_result.
 */
async function runInKernel(base: URL, token: string, code: string): Promise<{ kernel: string; result: unknown }> {
  const started = await fetch(new URL('api/kernels', base), {
    method: 'POST',
    headers: { authorization: `token ${token}`, 'content-type': 'application/json' },
    body: '{}',
    signal: AbortSignal.timeout(60_000),
  });
  assert.equal(started.status, 201, await started.clone().text());
  const kernel = ((await started.json()) as { id: string }).id;
  const result = await executeOverChannels({
    url: `ws://${base.host}${base.pathname}api/kernels/${kernel}/channels?token=${token}`,
    code,
  });
  return { kernel, result };
}

describe('docker spawner in a browser', { skip: dockerSkipReason() || (CHROMIUM ? false : 'no chromium') }, () => {
  let engine: DockerEngine;
  let h: TestHub;
  let browser: Browser;
  before(async () => {
    engine = await startDockerEngine();
    // Only the profile names this image: a container made from it can only be the profile's doing.
    await engine.docker.getImage(engine.image).tag({ repo: 'tshub-browser', tag: 'big' });
    h = await startHub({
      slow_spawn_timeout: 60,
      spawner: {
        class: 'docker',
        // nobody's home does not exist; jupyter-server and the kernel keep their runtime files under HOME.
        // The host's jupyter-server has no pages of its own on Debian: the classic Notebook's app serves them.
        environment: { HOME: '/tmp', JUPYTERHUB_SINGLEUSER_APP: 'notebook.notebookapp.NotebookApp' },
        start_timeout: 120,
        http_timeout: 120,
        docker: {
          host: engine.host,
          image: engine.image,
          pull_policy: 'never',
          read_only_volumes: engine.hostMounts,
          extra_create_kwargs: { user: '65534:65534' },
          remove: true,
        },
        profile_list: [
          { display_name: 'Small', description: 'The plain image' },
          {
            display_name: 'Big',
            description: 'More memory',
            kubespawner_override: { image: 'tshub-browser:big', mem_limit: '300M' },
          },
        ],
      },
    });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
  });
  after(async () => {
    await browser?.close();
    await h?.stop();
    await engine?.stop();
  });

  test('pick a profile, the container runs with its image and memory limit, a kernel runs 1+1, stop removes it', async () => {
    const page = await (await browser.newContext()).newPage();
    const problems: string[] = [];
    page.on('pageerror', (e) => problems.push(e.message));
    await page.goto(new URL('hub/login?next=/hub/spawn', h.url).toString());
    await page.getByLabel('Username').fill('dana');
    await page.getByLabel('Password').fill('any');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(/\/hub\/spawn$/);
    assert.ok(await page.getByLabel('Small').isChecked(), 'the first profile is the default');
    await page.getByLabel('Big').check();
    // spawn-pending follows the progress stream, then the server's OAuth login lands on the notebook.
    const landed = page.waitForResponse(
      (r) =>
        /\/user\/dana\/tree/.test(r.url()) &&
        r.request().isNavigationRequest() &&
        (r.status() < 300 || r.status() >= 400),
      { timeout: 180_000 },
    );
    await page.getByRole('button', { name: 'Start' }).click();
    const tree = await landed;
    assert.equal(tree.status(), 200, 'the notebook page opens');
    assert.match(tree.headers()['content-type'] ?? '', /text\/html/);
    assert.equal(new URL(tree.url()).origin, new URL(h.url).origin, 'the notebook is served through the proxy');

    const model = (await h.request('GET', 'hub/api/users/dana')).json.servers[''];
    assert.deepEqual(model.user_options, { profile: 'big' });
    const info = await engine.docker.getContainer(String(model.state.container_id)).inspect();
    assert.equal(info.Config.Image, 'tshub-browser:big', "the profile's image");
    assert.equal(info.HostConfig.Memory, 300 * 1024 * 1024, "the profile's memory limit");
    assert.equal(info.Config.Labels[USER_LABEL], 'dana');

    const base = new URL('user/dana/', h.url);
    const { kernel, result } = await runInKernel(base, await h.tokenFor('dana'), '1+1');
    assert.equal(result, '2');
    // The kernel is a process in the container, not on the hub's machine.
    const top = await engine.docker.getContainer(String(model.state.container_id)).top({ ps_args: '-eo pid,args' });
    assert.ok(
      top.Processes.some((p: string[]) => p.join(' ').includes('ipykernel') && p.join(' ').includes(kernel)),
      JSON.stringify(top.Processes),
    );
    assert.deepEqual(problems, []);

    const stop = await h.request('DELETE', 'hub/api/users/dana/server');
    assert.ok([202, 204].includes(stop.status), stop.text);
    const left = () => engine.docker.listContainers({ all: true, filters: { label: [`${USER_LABEL}=dana`] } });
    for (let i = 0; (await left()).length > 0; i++) {
      assert.ok(i < 150, 'the stop removes the container');
      await page.waitForTimeout(200);
    }
  });
});
