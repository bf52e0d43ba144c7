// A real, private OpenLDAP server (Debian's slapd) on 127.0.0.1 for the LDAP tests: its own slapd.conf,
// a temporary mdb database seeded with slapadd, users with {SSHA} passwords made by slappasswd, a
// groupOfNames and a posixGroup, and the server's stats log kept so tests can see what was asked.
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Attribute, Change, Client } from 'ldapts';
import { freePort } from './process.ts';

export const BASE_DN = 'dc=example,dc=org';
export const PEOPLE = `ou=people,${BASE_DN}`;
export const GROUPS = `ou=groups,${BASE_DN}`;
export const READER = { dn: `cn=reader,${BASE_DN}`, password: 'reader-secret' };

/** The seeded people: uid → password. */
export const USERS: Record<string, string> = {
  alice: 'alice-pw-1', // in cn=staff (groupOfNames, member DN)
  bob: 'bob-pw-2', // in cn=hubusers (posixGroup, memberUid)
  carol: 'carol-pw-3', // in no group
  dave: 'dave-pw-4', // in cn=admins (groupOfNames)
};
export const STAFF = `cn=staff,${GROUPS}`;
export const HUBUSERS = `cn=hubusers,${GROUPS}`;
export const ADMINS = `cn=admins,${GROUPS}`;
/** A group no test configures: only manage_groups with group_search_base finds it. */
export const PHYSICS = `cn=physics,${GROUPS}`;
/** The directory's administrator (slapd's rootdn), for tests that change entries while the hub runs. */
const ROOT = { dn: `cn=admin,${BASE_DN}`, password: 'root-secret' };

export interface Slapd {
  /** Plain LDAP, with StartTLS offered. */
  port: number;
  /** LDAP over TLS from the first byte (ldaps). */
  tlsPort: number;
  /** The self-signed certificate slapd presents (for 127.0.0.1 and localhost), as a CA file. */
  caFile: string;
  /** Another self-signed certificate: a CA the server's certificate does not chain to. */
  wrongCaFile: string;
  /** Everything slapd logged (stats level: connections, binds, searches with their filters). */
  log(): string;
  /** Replaces an attribute of an entry (as the directory's administrator): e.g. a group's members. */
  replace(dn: string, attribute: string, values: string[]): Promise<void>;
  stop(): Promise<void>;
}

const SCHEMAS = ['core', 'cosine', 'nis', 'inetorgperson'];

function ssha(password: string): string {
  // Test passwords only: -s puts them on slappasswd's command line.
  return execFileSync('/usr/sbin/slappasswd', ['-h', '{SSHA}', '-s', password]).toString().trim();
}

function seed(): string {
  const person = (uid: string, n: number) => `dn: uid=${uid},${PEOPLE}
objectClass: inetOrgPerson
objectClass: posixAccount
uid: ${uid}
cn: ${uid[0]!.toUpperCase()}${uid.slice(1)} Example
sn: Example
mail: ${uid}@example.org
uidNumber: ${1000 + n}
gidNumber: 1000
homeDirectory: /home/${uid}
userPassword: ${ssha(USERS[uid]!)}
`;
  return [
    `dn: ${BASE_DN}\nobjectClass: dcObject\nobjectClass: organization\ndc: example\no: Example\n`,
    `dn: ${PEOPLE}\nobjectClass: organizationalUnit\nou: people\n`,
    `dn: ${GROUPS}\nobjectClass: organizationalUnit\nou: groups\n`,
    `dn: ${READER.dn}\nobjectClass: organizationalRole\nobjectClass: simpleSecurityObject\ncn: reader\nuserPassword: ${ssha(READER.password)}\n`,
    ...Object.keys(USERS).map(person),
    `dn: ${STAFF}\nobjectClass: groupOfNames\ncn: staff\nmember: uid=alice,${PEOPLE}\n`,
    `dn: ${ADMINS}\nobjectClass: groupOfNames\ncn: admins\nmember: uid=dave,${PEOPLE}\n`,
    `dn: ${PHYSICS}\nobjectClass: groupOfNames\ncn: physics\nmember: uid=alice,${PEOPLE}\n`,
    `dn: ${HUBUSERS}\nobjectClass: posixGroup\ncn: hubusers\ngidNumber: 2000\nmemberUid: bob\n`,
  ].join('\n');
}

/** A self-signed certificate (and its key) for 127.0.0.1 and localhost, valid for a day. */
function selfSigned(dir: string, name: string): { cert: string; key: string } {
  const cert = join(dir, `${name}.crt`);
  const key = join(dir, `${name}.key`);
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      key,
      '-out',
      cert,
      '-days',
      '1',
      '-subj',
      `/CN=${name}`,
      '-addext',
      'subjectAltName=DNS:localhost,IP:127.0.0.1',
    ],
    { stdio: 'pipe' },
  );
  return { cert, key };
}

function waitForPort(port: number, deadline: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const attempt = () => {
      const s = connect(port, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        resolve();
      });
      s.once('error', () => {
        s.destroy();
        if (Date.now() > deadline) reject(new Error(`slapd did not listen on ${port}`));
        else setTimeout(attempt, 50);
      });
    };
    attempt();
  });
}

export async function startSlapd(): Promise<Slapd> {
  const dir = mkdtempSync(join(tmpdir(), 'tshub-slapd-'));
  const db = join(dir, 'db');
  mkdirSync(db);
  const conf = join(dir, 'slapd.conf');
  const tls = selfSigned(dir, 'slapd-test');
  const wrong = selfSigned(dir, 'other-ca');
  writeFileSync(
    conf,
    `${SCHEMAS.map((s) => `include /etc/ldap/schema/${s}.schema`).join('\n')}
modulepath /usr/lib/ldap
moduleload back_mdb
pidfile ${join(dir, 'slapd.pid')}
TLSCertificateFile ${tls.cert}
TLSCertificateKeyFile ${tls.key}
loglevel stats
database mdb
maxsize 16777216
suffix "${BASE_DN}"
rootdn "${ROOT.dn}"
rootpw ${ssha(ROOT.password)}
directory ${db}
access to attrs=userPassword by anonymous auth by self read by * none
access to * by users read by * none
`,
  );
  const ldif = join(dir, 'seed.ldif');
  writeFileSync(ldif, seed());
  execFileSync('/usr/sbin/slapadd', ['-f', conf, '-l', ldif], { stdio: 'pipe' });
  const port = await freePort();
  const tlsPort = await freePort();
  const lines: string[] = [];
  const p = spawn(
    '/usr/sbin/slapd',
    ['-f', conf, '-h', `ldap://127.0.0.1:${port}/ ldaps://127.0.0.1:${tlsPort}/`, '-d', 'stats'],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  p.stdout.on('data', (d) => lines.push(String(d)));
  p.stderr.on('data', (d) => lines.push(String(d)));
  const exited = new Promise<void>((resolve) => p.once('exit', () => resolve()));
  try {
    await Promise.race([
      Promise.all([waitForPort(port, Date.now() + 15_000), waitForPort(tlsPort, Date.now() + 15_000)]),
      exited.then(() => {
        throw new Error(`slapd exited at start:\n${lines.join('')}`);
      }),
    ]);
  } catch (err) {
    p.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    port,
    tlsPort,
    caFile: tls.cert,
    wrongCaFile: wrong.cert,
    log: () => lines.join(''),
    async replace(dn, attribute, values) {
      const client = new Client({ url: `ldap://127.0.0.1:${port}`, timeout: 10_000, connectTimeout: 10_000 });
      try {
        await client.bind(ROOT.dn, ROOT.password);
        await client.modify(
          dn,
          new Change({ operation: 'replace', modification: new Attribute({ type: attribute, values }) }),
        );
      } finally {
        await client.unbind();
      }
    },
    async stop() {
      p.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
      if (p.exitCode === null) p.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
