import type { Command } from 'commander';
import { configFrom, withConfigOptions, type ConfigFlags } from './common.ts';

interface ExportFlags extends ConfigFlags {
  since?: string;
  until?: string;
}

async function openDb(flags: ConfigFlags) {
  const [{ parseDbUrl }, { connect, migrateToLatest }] = await Promise.all([
    import('../config/index.ts'),
    import('../db/index.ts'),
  ]);
  const { config, baseDir } = await configFrom(flags);
  const db = connect(parseDbUrl(config.db_url, baseDir));
  // A database from before the audit log gets its (empty) table, so both commands have something to read.
  await migrateToLatest(db.k, db.kind);
  return db;
}

function write(line: string): Promise<void> | void {
  if (!process.stdout.write(line)) return new Promise((resolve) => process.stdout.once('drain', resolve));
}

export function registerAudit(program: Command): void {
  const audit = program.command('audit').description('read and check the hash-chained audit log');

  withConfigOptions(audit.command('export'))
    .description('write audit records as NDJSON on stdout, oldest first, one record per line with its hashes')
    .option('--since <iso>', 'only records at or after this ISO 8601 time')
    .option('--until <iso>', 'only records before this ISO 8601 time')
    .action(async (flags: ExportFlags) => {
      const { parseAuditFilter, presentAudit, recordsInOrder } = await import('../audit/index.ts');
      let range: { since?: string; until?: string };
      try {
        const f = parseAuditFilter({ since: flags.since, until: flags.until }, null);
        range = { since: f.since ?? undefined, until: f.until ?? undefined };
      } catch (err) {
        process.stderr.write(`tshub audit export: ${(err as Error).message}\n`);
        process.exit(1);
      }
      const db = await openDb(flags);
      try {
        for await (const r of recordsInOrder(db.k, range)) await write(`${JSON.stringify(presentAudit(r))}\n`);
      } finally {
        await db.close();
      }
    });

  withConfigOptions(audit.command('verify'))
    .description('check the whole hash chain: exit 0 if intact, else 1 naming the first bad record')
    .action(async (flags: ConfigFlags) => {
      const { verifyChain } = await import('../audit/index.ts');
      const db = await openDb(flags);
      try {
        const v = await verifyChain(db.k);
        if (v.ok) {
          process.stdout.write(
            `${v.count} records, chain intact${v.anchored ? ' (continuing from the retention anchor)' : ''}\n`,
          );
        } else {
          process.stdout.write(
            `chain broken at record ${v.id}: ${v.problem} (${v.count} records before it are intact)\n`,
          );
          process.exitCode = 1;
        }
      } finally {
        await db.close();
      }
    });
}
