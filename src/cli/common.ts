import type { Command } from 'commander';
import type { Logger } from 'pino';
import { type AuditSink, SYSTEM } from '../audit/event.ts';
import type { Caller } from '../commands/deps.ts';
import type { TokenCommandDeps } from '../commands/tokens/deps.ts';
import type { Config, LoadedConfig } from '../config/index.ts';
import type { Db } from '../db/index.ts';

export interface ConfigFlags {
  config?: string;
  dbUrl?: string;
  logLevel?: string;
}

export function withConfigOptions(cmd: Command): Command {
  return cmd
    .option('-c, --config <file>', 'config file (YAML, JSON, .mjs or .ts); default $TSHUB_CONFIG')
    .option(
      '--db-url <url>',
      'database URL, overriding db_url (e.g. sqlite:///tshub.sqlite, postgresql://user@host/db)',
    )
    .option('--log-level <level>', 'log level: trace, debug, info, warn, error');
}

/** Loads config the one way every command does: defaults < file < TSHUB_* environment < flags. */
export async function configFrom(flags: ConfigFlags, extra: Record<string, unknown> = {}): Promise<LoadedConfig> {
  const overrides: Record<string, unknown> = { ...extra };
  if (flags.dbUrl) overrides.db_url = flags.dbUrl;
  if (flags.logLevel) overrides.log_level = flags.logLevel;
  const { loadConfig } = await import('../config/index.ts');
  return loadConfig({ file: flags.config ?? null, env: process.env, flags: overrides });
}

/**
 * The command deps of a one-off process on the hub's database. It caches nothing, so there is nothing to
 * invalidate: the hub (which may run meanwhile) sees a change at its next lookup. Nor does it batch token
 * inserts or push refusals to `tshub proxy`: the hub's next timed sweep finds those changes.
 */
export function cliCommandDeps(db: Db, config: Config, log: Logger, audit: AuditSink): TokenCommandDeps {
  return { k: db.k, dbKind: db.kind, config, log, audit, permissions: { invalidate() {} }, tokenInserts: null };
}

/** The hub acting for the command line: the audit log names the command (`tshub token`, ...) as the actor. */
export function cliCaller(command: string): Caller {
  return { origin: { ...SYSTEM, actor: { ...SYSTEM.actor, name: command } }, principal: null };
}
