import type { Command } from 'commander';
import { configFrom, withConfigOptions, type ConfigFlags } from './common.ts';

export function registerUpgradeDb(program: Command): void {
  withConfigOptions(program.command('upgrade-db'))
    .description('bring the database schema up to date (the hub also does this at start)')
    .action(async (flags: ConfigFlags) => {
      const [{ parseDbUrl }, { connect, migrateToLatest }] = await Promise.all([
        import('../config/index.ts'),
        import('../db/index.ts'),
      ]);
      const { config, baseDir } = await configFrom(flags);
      const db = connect(parseDbUrl(config.db_url, baseDir));
      try {
        const applied = await migrateToLatest(db.k, db.kind);
        process.stdout.write(applied.length ? `applied: ${applied.join(', ')}\n` : 'database is up to date\n');
      } finally {
        await db.close();
      }
    });
}
