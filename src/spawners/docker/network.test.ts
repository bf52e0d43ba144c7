import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ContainerInspectInfo } from 'dockerode';
import { buildConfig } from '../../config/index.ts';
import type { DockerConfig } from '../../config/schema-docker.ts';
import { connectUrl, listenUrl } from './network.ts';

const docker = (keys: Partial<DockerConfig>) =>
  buildConfig({ spawner: { class: 'docker', docker: keys } }).spawner.docker;

/** The NetworkSettings of an engine's inspect of a running container on a user-defined network `lab`. */
function inspected(ports: Record<string, { HostIp: string; HostPort: string }[] | null>, ip = '172.30.0.2') {
  return {
    NetworkSettings: {
      Bridge: '',
      SandboxID: 'f00',
      HairpinMode: false,
      LinkLocalIPv6Address: '',
      LinkLocalIPv6PrefixLen: 0,
      Ports: ports,
      SandboxKey: '/var/run/docker/netns/f00',
      SecondaryIPAddresses: null,
      SecondaryIPv6Addresses: null,
      EndpointID: '',
      Gateway: '',
      GlobalIPv6Address: '',
      GlobalIPv6PrefixLen: 0,
      IPAddress: '',
      IPPrefixLen: 0,
      IPv6Gateway: '',
      MacAddress: '',
      Networks: {
        lab: {
          IPAMConfig: null,
          Links: null,
          Aliases: ['jupyter-alice'],
          NetworkID: 'a1b2',
          EndpointID: 'c3d4',
          Gateway: '172.30.0.1',
          IPAddress: ip,
          IPPrefixLen: 16,
          IPv6Gateway: '',
          GlobalIPv6Address: '',
          GlobalIPv6PrefixLen: 0,
          MacAddress: '02:42:ac:1e:00:02',
        },
      },
    },
  } as unknown as ContainerInspectInfo;
}

test('docker network: the server binds loopback on host, every address of its namespace elsewhere', () => {
  assert.equal(listenUrl(docker({}), 40123), 'http://127.0.0.1:40123');
  assert.equal(listenUrl(docker({ network_name: 'lab', port: 9000 }), null), 'http://0.0.0.0:9000');
});

test("docker network: use_internal_ip connects to the container's address on network_name, at `port`", () => {
  const keys = docker({ network_name: 'lab', use_internal_ip: true });
  assert.equal(connectUrl(keys, inspected({ '8888/tcp': null })), 'http://172.30.0.2:8888');
  assert.equal(connectUrl(keys, inspected({}, 'fd00::5')), 'http://[fd00::5]:8888');
  assert.throws(
    () => connectUrl(docker({ network_name: 'other', use_internal_ip: true }), inspected({})),
    /no address on network other/,
  );
  assert.throws(() => connectUrl(keys, inspected({}, '')), /no address on network lab/);
});

test('docker network: otherwise the hub connects to the port the engine published, on its host address', () => {
  const keys = docker({ network_name: 'lab' });
  const published = inspected({ '8888/tcp': [{ HostIp: '127.0.0.1', HostPort: '32768' }] });
  assert.equal(connectUrl(keys, published), 'http://127.0.0.1:32768');
  // A wildcard binding (host_ip 0.0.0.0 or ::) is reached on loopback.
  assert.equal(
    connectUrl(keys, inspected({ '8888/tcp': [{ HostIp: '0.0.0.0', HostPort: '32769' }] })),
    'http://127.0.0.1:32769',
  );
  assert.equal(
    connectUrl(keys, inspected({ '8888/tcp': [{ HostIp: '::', HostPort: '32770' }] })),
    'http://[::1]:32770',
  );
  assert.throws(
    () => connectUrl(keys, inspected({ '8888/tcp': null })),
    /published no host port for .*8888\/tcp on 127\.0\.0\.1/,
  );
  assert.throws(() => connectUrl(docker({ network_name: 'lab', port: 9000 }), published), /9000\/tcp/);
});

test('docker network: the keys are checked by the config schema', () => {
  assert.equal(docker({}).network_name, 'host');
  assert.equal(docker({}).port, 8888);
  assert.equal(docker({}).host_ip, '127.0.0.1');
  assert.equal(docker({}).use_internal_ip, false);
  assert.throws(() => docker({ port: 0 }));
  assert.throws(() => docker({ network_name: '' }));
});
