import type { Command } from 'commander';
import { registerServers } from './servers.ts';
import { registerTokens } from './tokens.ts';
import { registerWhoami } from './whoami.ts';

/** The user-side commands: they talk to a hub's REST API with a token, like any client. */
export function registerUserCommands(program: Command): void {
  registerWhoami(program);
  registerTokens(program);
  registerServers(program);
}
