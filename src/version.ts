import { readFileSync } from 'node:fs';

/** The JupyterHub REST API version tshub implements; clients such as the idle culler compare it. */
export const API_VERSION = '5.3.0';

export const TSHUB_VERSION: string = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
).version;
