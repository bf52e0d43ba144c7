import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildConfig } from '../../config/index.ts';
import type { DockerConfig } from '../../config/schema-docker.ts';
import { templateNamespace } from './names.ts';
import { containerSpec, type SpecInput } from './spec.ts';

function input(docker: Partial<DockerConfig> = {}, imageUser = 'jovyan'): SpecInput {
  const config = buildConfig({ spawner: { class: 'docker', docker } }).spawner.docker;
  return {
    name: 'jupyter-alice',
    image: 'img:1',
    cmd: ['jupyterhub-singleuser'],
    env: { JUPYTERHUB_USER: 'alice' },
    user: 'alice',
    server: '',
    imageUser,
    docker: config,
    ns: templateNamespace({ prefix: 'jupyter', username: 'alice', servername: '', image: 'img:1' }),
  };
}

test('docker spec: host network, labels, volumes with {username}, limits', () => {
  const spec = containerSpec(
    input({
      volumes: { '/srv/home/{username}': '/home/jovyan', 'data-{username}': { bind: '/data', mode: 'ro' } },
      read_only_volumes: { '/srv/shared': '/shared' },
      mem_limit: '1G',
      cpu_limit: 2,
    }),
  );
  assert.equal(spec.name, 'jupyter-alice');
  assert.deepEqual(spec.Cmd, ['jupyterhub-singleuser']);
  assert.deepEqual(spec.Env, ['JUPYTERHUB_USER=alice']);
  assert.equal(spec.Labels?.['org.jupyter.hub.user'], 'alice');
  assert.deepEqual(spec.HostConfig, {
    NetworkMode: 'host',
    Binds: ['/srv/home/alice:/home/jovyan:rw', 'data-alice:/data:ro', '/srv/shared:/shared:ro'],
    Memory: 1024 ** 3,
    NanoCpus: 2e9,
  });
});

test('docker spec: extra kwargs go over ours, but the network stays network_name', () => {
  const spec = containerSpec(
    input({
      extra_create_kwargs: { user: '1000:100', environment: { EXTRA: 'x' }, labels: { team: 'a' } },
      extra_host_config: { mem_limit: '2g', cap_drop: ['ALL'] },
      mem_limit: '1G',
    }),
  );
  assert.equal(spec.User, '1000:100');
  assert.deepEqual(spec.Env, ['JUPYTERHUB_USER=alice', 'EXTRA=x']);
  assert.equal(spec.Labels?.team, 'a');
  assert.equal(spec.HostConfig?.Memory, 2 * 1024 ** 3);
  assert.deepEqual(spec.HostConfig?.CapDrop, ['ALL']);
  assert.throws(
    () => containerSpec(input({ extra_host_config: { network_mode: 'bridge' } })),
    /may not change the network \(bridge\): set network_name instead \(it is host\)/,
  );
  assert.throws(
    () => containerSpec(input({ network_name: 'lab', extra_host_config: { NetworkMode: 'host' } })),
    /it is lab/,
  );
  const same = containerSpec(input({ network_name: 'lab', extra_host_config: { network_mode: 'lab' } }));
  assert.equal(same.HostConfig?.NetworkMode, 'lab');
});

test('docker spec: on host networking nothing is exposed or published', () => {
  const spec = containerSpec(input());
  assert.equal(spec.ExposedPorts, undefined);
  assert.equal(spec.HostConfig?.PortBindings, undefined);
});

test('docker spec: another network exposes `port` and publishes it on host_ip at a port the engine picks', () => {
  const spec = containerSpec(input({ network_name: 'lab', port: 9999, host_ip: '127.0.0.2' }));
  assert.equal(spec.HostConfig?.NetworkMode, 'lab');
  assert.deepEqual(spec.ExposedPorts, { '9999/tcp': {} });
  assert.deepEqual(spec.HostConfig?.PortBindings, { '9999/tcp': [{ HostIp: '127.0.0.2', HostPort: '' }] });
  const defaults = containerSpec(input({ network_name: 'bridge' }));
  assert.deepEqual(defaults.HostConfig?.PortBindings, { '8888/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }] });
});

test('docker spec: use_internal_ip exposes the port without publishing it; extra ExposedPorts are kept', () => {
  const spec = containerSpec(
    input({ network_name: 'lab', use_internal_ip: true, extra_create_kwargs: { exposed_ports: { '22/tcp': {} } } }),
  );
  assert.deepEqual(spec.ExposedPorts, { '22/tcp': {}, '8888/tcp': {} });
  assert.equal(spec.HostConfig?.PortBindings, undefined);
});

test('docker spec: --allow-root only when the container runs as root', () => {
  assert.deepEqual(containerSpec(input({}, '')).Cmd, ['jupyterhub-singleuser', '--allow-root']);
  assert.deepEqual(containerSpec(input({ extra_create_kwargs: { user: 'root' } })).Cmd, [
    'jupyterhub-singleuser',
    '--allow-root',
  ]);
  assert.deepEqual(containerSpec(input({ extra_create_kwargs: { user: '1000' } }, '')).Cmd, ['jupyterhub-singleuser']);
  assert.deepEqual(containerSpec(input()).Cmd, ['jupyterhub-singleuser']);
});
