import type { Command } from 'commander';
import type { LoadedConfig } from '../config/index.ts';

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
