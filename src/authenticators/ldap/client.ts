import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import type { ConnectionOptions } from 'node:tls';
import { Client, NoSuchObjectError, ResultCodeError } from 'ldapts';
import type { LdapConfig } from '../../config/schema-ldap.ts';
import { ldapUnavailable } from '../../errors/index.ts';

/** One connection to the directory, as the login pipeline uses it. */
export interface LdapSession {
  /** True when the directory accepted the DN and password; false for wrong credentials or a DN it refuses. */
  bind(dn: string, password: string): Promise<boolean>;
  /** The entries found (an absent base is no entries); each attribute as a list of strings. */
  search(base: string, scope: 'base' | 'sub', filter: string, attributes: string[]): Promise<LdapEntry[]>;
  close(): Promise<void>;
}

export interface LdapEntry {
  dn: string;
  attributes: Record<string, string[]>;
}

export type OpenSession = (l: LdapConfig) => LdapSession;

const TIMEOUT_MS = 10_000;

function tlsOptions(l: LdapConfig): ConnectionOptions {
  const ca = l.tls_kwargs.ca_certs_file;
  return {
    ...(ca ? { ca: readFileSync(ca) } : {}),
    // SNI takes host names only; the certificate is checked against server_address either way.
    ...(isIP(l.server_address) ? {} : { servername: l.server_address }),
    minVersion: 'TLSv1.2',
  };
}

function asStrings(v: unknown): string[] {
  const list = Array.isArray(v) ? v : [v];
  return list.map((x) => (Buffer.isBuffer(x) ? x.toString('utf8') : String(x)));
}

/** A session on ldapts, with tls_strategy applied before anything is sent that could carry a password. */
export function openSession(l: LdapConfig): LdapSession {
  const secure = l.tls_strategy === 'on_connect';
  const port = l.server_port ?? (secure ? 636 : 389);
  const host = isIP(l.server_address) === 6 ? `[${l.server_address}]` : l.server_address;
  const tls = tlsOptions(l);
  const client = new Client({
    url: `${secure ? 'ldaps' : 'ldap'}://${host}:${port}`,
    timeout: TIMEOUT_MS,
    connectTimeout: TIMEOUT_MS,
    ...(secure ? { tlsOptions: tls } : {}),
  });
  // Anything but the directory's answer to a bind (refused connection, StartTLS refused, a certificate
  // that does not verify, timeout, a search the server will not run) is the server's unavailability, not
  // a wrong password: the person is not throttled or told their password is wrong.
  const unavailable = (err: unknown): never => {
    throw Object.assign(ldapUnavailable(), { cause: err });
  };
  let ready: Promise<void> | null = null;
  const start = () => {
    ready ??= (l.tls_strategy === 'before_bind' ? client.startTLS(tls) : Promise.resolve()).catch(unavailable);
    return ready;
  };
  return {
    async bind(dn, password) {
      await start();
      try {
        await client.bind(dn, password);
        return true;
      } catch (err) {
        // Wrong credentials, a DN the server will not parse, an unwilling server: not this user.
        if (err instanceof ResultCodeError) return false;
        return unavailable(err);
      }
    },
    async search(base, scope, filter, attributes) {
      await start();
      try {
        const { searchEntries } = await client.search(base, { scope, filter, attributes });
        return searchEntries.map(({ dn, ...rest }) => ({
          dn,
          attributes: Object.fromEntries(Object.entries(rest).map(([k, v]) => [k, asStrings(v)])),
        }));
      } catch (err) {
        if (err instanceof NoSuchObjectError) return [];
        return unavailable(err);
      }
    },
    async close() {
      await client.unbind().catch(() => {});
    },
  };
}
