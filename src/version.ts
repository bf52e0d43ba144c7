import { readFileSync } from 'node:fs';

/**
 * The JupyterHub version `/hub/api/` reports; clients such as the idle culler compare it. Every operation of
 * 5.3.0's REST spec is served (the same operations as each 5.x release up to 5.5.1), and 6.0's server records
 * besides; docs/api.md says so too.
 */
export const API_VERSION = '5.3.0';

export const TSHUB_VERSION: string = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
).version;
