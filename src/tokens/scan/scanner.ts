import type { LoadedConfig } from '../../config/index.ts';
import { parseDbUrl } from '../../config/index.ts';
import { AuditRecorder } from '../../audit/index.ts';
import { cliCaller, cliCommandDeps } from '../../cli/common.ts';
import { connect, migrateToLatest } from '../../db/index.ts';
import { createLogger } from '../../lib/logger.ts';
import { leakNotifier } from './leak-notice.ts';
import { type ScanResult, scanForLeaks } from './scan.ts';
import type { FileStamps } from './walk.ts';

export interface Scanner {
  scan(roots: readonly string[], opts: { revoke: boolean }): Promise<ScanResult>;
  /** Scans `dirs` every `everyMs`, revoking, until SIGTERM or SIGINT; each round's result goes to `onRound`. */
  watch(dirs: readonly string[], everyMs: number, onRound: (r: ScanResult) => void): Promise<void>;
  close(): Promise<void>;
}

const CALLER = cliCaller('tshub tokens scan');

/**
 * The scanner of `tshub tokens scan`, on the hub's database (the hub may run meanwhile: it sees a revocation
 * made here at its next lookup, as it sees tokens made by `tshub token`). Logs go to stderr.
 */
export async function openScanner({ config, baseDir }: LoadedConfig, logLevel: string): Promise<Scanner> {
  const log = createLogger(logLevel, process.stderr);
  const db = connect(parseDbUrl(config.db_url, baseDir));
  // The hub writes to the same audit chain meanwhile: the recorder attaches after whatever head it finds.
  const audit = new AuditRecorder(db.k, log, config.audit);
  const notifier = leakNotifier(config, log);
  await migrateToLatest(db.k, db.kind);
  const deps = cliCommandDeps(db, config, log, audit);
  const scan = (roots: readonly string[], revoke: boolean, stamps?: FileStamps) =>
    scanForLeaks(deps, CALLER, roots, { revoke, notifier, stamps });
  return {
    scan: (roots, opts) => scan(roots, opts.revoke),
    async watch(dirs, everyMs, onRound) {
      let stamps: FileStamps = new Map();
      let wake: (() => void) | null = null;
      let stopping = false;
      const stop = () => {
        stopping = true;
        wake?.();
      };
      process.once('SIGTERM', stop).once('SIGINT', stop);
      log.info({ dirs, every_seconds: everyMs / 1000 }, 'token scanner started');
      while (!stopping) {
        try {
          // Files are skipped next round only once this round's lookups went through: a round that failed is redone.
          const next: FileStamps = new Map(stamps);
          const result = await scan(dirs, true, next);
          stamps = next;
          onRound(result);
          log.info({ files: result.files, revoked: result.live.length }, 'token scan round');
        } catch (err) {
          log.error({ err: (err as Error).message }, 'token scan round failed');
        }
        if (stopping) break;
        await new Promise<void>((res) => {
          const timer = setTimeout(res, everyMs);
          wake = () => {
            clearTimeout(timer);
            res();
          };
        });
      }
      process.off('SIGTERM', stop).off('SIGINT', stop);
    },
    async close() {
      notifier.close();
      await audit.stop();
      await db.close();
    },
  };
}
