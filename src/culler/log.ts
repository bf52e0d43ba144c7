/** Plain, human-readable lines on stderr ("[I 2026-01-02 03:04:05.678 cull] ..."), as an operator tails them. */
export type LogLevel = 'debug' | 'info' | 'warning' | 'error' | 'none';

export const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warning', 'error', 'none'];

export interface CullLog {
  debug(msg: string): void;
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
}

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warning: 30, error: 40, none: 100 };

export function createCullLog(
  level: LogLevel,
  write: (line: string) => void = (l) => void process.stderr.write(l),
): CullLog {
  const at = (lvl: Exclude<LogLevel, 'none'>, letter: string) => (msg: string) => {
    if (RANK[lvl] < RANK[level]) return;
    const ts = new Date().toISOString().replace('T', ' ').replace('Z', '');
    write(`[${letter} ${ts} cull] ${msg}\n`);
  };
  return { debug: at('debug', 'D'), info: at('info', 'I'), warn: at('warning', 'W'), error: at('error', 'E') };
}
