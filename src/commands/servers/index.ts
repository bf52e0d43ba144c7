// The server commands: admission rules, records made or changed without a start, start, stop and removal, for the API, the pages and the CLI.
export { admitServerName } from './admit.ts';
export { createServer, type CreateServerInput } from './create.ts';
export { modifyServer, type ModifyServerInput } from './modify.ts';
export type { ServerCommandDeps, ServerRef, ServerRuntime } from './deps.ts';
export { removeServer } from './remove.ts';
export { startServer, type StartServerInput } from './start.ts';
export { stopServer } from './stop.ts';
