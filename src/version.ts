import { readFileSync } from 'node:fs';

/**
 * The JupyterHub version `/hub/api/` reports; clients such as the idle culler compare it. 5.5.1 is the
 * newest JupyterHub release, and its REST spec has the same operations as every 5.x since 5.0, all of
 * which tshub serves (and 6.0's server endpoints besides). docs/api.md says so too.
 */
export const API_VERSION = '5.5.1';

export const TSHUB_VERSION: string = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
).version;
