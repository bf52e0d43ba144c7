import { Writable } from 'node:stream';

const LEVELS: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO ', 40: 'WARN ', 50: 'ERROR', 60: 'FATAL' };
const COLORS: Record<number, string> = { 40: '\x1b[33m', 50: '\x1b[31m', 60: '\x1b[31m' };
const SKIP = new Set(['level', 'time', 'msg', 'name', 'pid', 'hostname', 'reqId']);

function show(v: unknown): string {
  if (typeof v === 'string') return /[\s"=]/.test(v) ? JSON.stringify(v) : v;
  if (v && typeof v === 'object' && 'message' in v) return JSON.stringify((v as { message: unknown }).message);
  return JSON.stringify(v);
}

/**
 * One readable line per log record for people watching a terminal (`npm start`):
 * `12:34:56 INFO  server ready server=alice seconds=1.4`. Piped output stays JSON for machines.
 */
export function prettyStream(out: NodeJS.WritableStream = process.stdout, color = true): Writable {
  return new Writable({
    write(chunk, _enc, done) {
      for (const line of String(chunk).split('\n')) {
        if (!line) continue;
        let rec: Record<string, unknown>;
        try {
          rec = JSON.parse(line);
        } catch {
          out.write(`${line}\n`);
          continue;
        }
        const level = Number(rec.level);
        const time = typeof rec.time === 'string' ? rec.time.slice(11, 19) : '';
        const fields = Object.entries(rec)
          .filter(([k]) => !SKIP.has(k))
          .map(([k, v]) => `${k}=${show(v)}`)
          .join(' ');
        const label = LEVELS[level] ?? String(level);
        const tint = color ? (COLORS[level] ?? '') : '';
        out.write(`${time} ${tint}${label}${tint ? '\x1b[0m' : ''} ${rec.msg ?? ''}${fields ? ` ${fields}` : ''}\n`);
      }
      done();
    },
  });
}
