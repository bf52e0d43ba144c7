import type { Caller } from '../../commands/deps.ts';
import { revokeLeaked, type TokenCommandDeps } from '../../commands/tokens/index.ts';
import type { Notifier } from '../../notify/index.ts';
import { sendLeakNotice } from './leak-notice.ts';
import { liveTokens } from './live.ts';
import { type FileStamps, type Finding, walkForTokens } from './walk.ts';

/** A live token found in a file: where, whose, and whether this scan revoked it. Never the token itself. */
export interface LiveFinding {
  file: string;
  cell: number | null;
  output: number | null;
  attachment: string | null;
  token_id: string;
  prefix: string;
  note: string | null;
  owner: { kind: 'user' | 'service'; name: string };
  revoked: boolean;
}

export interface ScanResult {
  files: number;
  /** Well-formed tokens of this hub found (live or not), counted per place. */
  wellFormed: number;
  live: LiveFinding[];
  errors: { path: string; error: string }[];
}

export interface ScanOptions {
  revoke: boolean;
  /** Tells owners of revoked tokens (token.leaked); null: nobody is told. */
  notifier: Notifier | null;
  /** Skips files unchanged since the last scan (the managed service keeps these between rounds). */
  stamps?: FileStamps;
}

/** Where a finding is, for people: the file, and in a notebook the cell and output or attachment. */
export function placeOf(f: Pick<Finding, 'file' | 'cell' | 'output' | 'attachment'>): string {
  if (f.cell === null) return f.file;
  const part = f.output !== null ? `, output ${f.output}` : f.attachment !== null ? `, attachment ${f.attachment}` : '';
  return `${f.file} (cell ${f.cell}${part})`;
}

/**
 * Scans files for tokens of this hub, looks the well-formed ones up, and reports the live ones; with `revoke`,
 * revokes them through the one leaked-token path (audited as "reported leaked") and tells their owners.
 */
export async function scanForLeaks(
  deps: TokenCommandDeps,
  caller: Caller,
  roots: readonly string[],
  opts: ScanOptions,
): Promise<ScanResult> {
  const walked = await walkForTokens(roots, opts.stamps ?? null);
  const live = await liveTokens(deps.k, [...new Set(walked.findings.map((f) => f.token))]);
  const byToken = new Map(live.map((t) => [t.token, t]));
  if (opts.revoke) await revokeLeaked(deps, caller, live);
  const found: LiveFinding[] = [];
  const told = new Set<number>();
  for (const f of walked.findings) {
    const t = byToken.get(f.token);
    if (!t) continue;
    const { token: _secret, ...where } = f;
    found.push({
      ...where,
      token_id: `a${t.id}`,
      prefix: t.prefix,
      note: t.note,
      owner: t.owner,
      revoked: opts.revoke,
    });
    if (opts.revoke && opts.notifier?.enabled && !told.has(t.id)) {
      told.add(t.id);
      await sendLeakNotice(opts.notifier, deps.config, deps.log, t, { kind: 'scan', place: placeOf(f) }).catch(
        (err: Error) => deps.log.error({ err: err.message }, 'token leak notice failed'),
      );
    }
  }
  return { files: walked.files, wellFormed: walked.findings.length, live: found, errors: walked.errors };
}
