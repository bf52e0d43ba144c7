import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LoadResult } from './load.ts';

// Debian's `wrk`: a load generator in C with two threads, which costs the loaded machine far less CPU than
// autocannon (one JavaScript thread). What varies per request (a token from a list, a query parameter) is
// done by a generated Lua script, so the requests stay as cheap as wrk makes them.

/** Whether `wrk` is installed. */
export function wrkAvailable(): boolean {
  try {
    execFileSync('wrk', ['--version'], { stdio: 'ignore', timeout: 5000 });
    return true;
  } catch (err) {
    // wrk prints its version and exits 1; only a missing binary is "not available".
    return (err as NodeJS.ErrnoException).code !== 'ENOENT';
  }
}

export interface WrkSpec {
  url: string;
  method?: string;
  /** Sent as `Authorization: token ...` on every request. */
  token?: string;
  /** A file of tokens, one a line: each request presents the next one (threads take turns, none twice). */
  tokensFile?: string;
  /** Appends `&<name>=<n>` to the URL (which must have a query already), n different for every request. */
  distinctParam?: string;
  /** JSON body. */
  body?: unknown;
  threads?: number;
  /** Called as the measured run starts (after the warm-up). */
  onStart?: () => void;
  connections: number;
  duration: number;
  warmup: number;
}

const THREADS = 2;
const LATENCY_UNIT_MS: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60_000 };

/** A Lua string literal (long brackets cannot be closed early by a value that has no `]==]`). */
function lua(s: string): string {
  if (s.includes(']==]')) throw new Error(`cannot quote for Lua: ${s}`);
  return `[==[${s}]==]`;
}

/** The script for `spec`, or null when every request is the same (wrk then builds it once). */
export function wrkScript(spec: WrkSpec, threads: number): string {
  const headers: string[] = [];
  if (spec.token !== undefined) headers.push(`wrk.headers["Authorization"] = ${lua(`token ${spec.token}`)}`);
  if (spec.body !== undefined) {
    headers.push('wrk.headers["Content-Type"] = "application/json"');
    headers.push(`wrk.body = ${lua(JSON.stringify(spec.body))}`);
  }
  const fixed = [`wrk.method = ${lua(spec.method ?? 'GET')}`, ...headers];
  if (spec.tokensFile === undefined && spec.distinctParam === undefined) return `${fixed.join('\n')}\n`;
  return `${fixed.join('\n')}
local threads = 0
function setup(thread)
  thread:set("tid", threads)
  threads = threads + 1
end
local tokens = nil
local n = 0
function init(args)
  ${
    spec.tokensFile === undefined
      ? ''
      : `tokens = {}
  for line in io.lines(${lua(spec.tokensFile)}) do tokens[#tokens + 1] = line end`
  }
end
function request()
  local i = n * ${threads} + tid
  n = n + 1
  local path = wrk.path
  ${spec.distinctParam === undefined ? '' : `path = path .. "&" .. ${lua(spec.distinctParam)} .. "=" .. i`}
  if tokens then wrk.headers["Authorization"] = "token " .. tokens[(i % #tokens) + 1] end
  return wrk.format(nil, path)
end
`;
}

/** What wrk printed, as a LoadResult. */
export function parseWrk(out: string): LoadResult {
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1]);
  const latency = (p: string) => {
    const m = new RegExp(`^\\s*${p}%\\s+([\\d.]+)(us|ms|s|m)\\s*$`, 'm').exec(out);
    return m ? Number(m[1]) * LATENCY_UNIT_MS[m[2]!]! : Number.NaN;
  };
  const requests = Number(/(\d+) requests in/.exec(out)?.[1]);
  const non2xx = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(out)?.[1] ?? 0);
  const socketErrors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const errors = socketErrors ? socketErrors.slice(1).reduce((a, b) => a + Number(b), 0) : 0;
  if (!Number.isFinite(rps)) throw new Error(`wrk: no Requests/sec in its output:\n${out}`);
  return {
    rps,
    p50: latency('50'),
    p99: latency('99'),
    requests,
    failures: non2xx + errors,
    statuses: `non-2xx:${non2xx} socket-errors:${errors}`,
  };
}

/** `wrk -t2 -c<connections> --latency` for `spec`: a warm-up run (discarded), then the measured run. */
export async function wrk(spec: WrkSpec): Promise<LoadResult> {
  const threads = spec.threads ?? THREADS;
  const dir = mkdtempSync(join(tmpdir(), 'tshub-wrk-'));
  try {
    const script = join(dir, 'load.lua');
    writeFileSync(script, wrkScript(spec, threads));
    const run = (seconds: number) =>
      new Promise<string>((resolve, reject) => {
        const args = [
          `-t${threads}`,
          `-c${spec.connections}`,
          `-d${Math.max(1, Math.round(seconds))}s`,
          '--timeout',
          '30s',
          '--latency',
          '-s',
          script,
          spec.url,
        ];
        execFile('wrk', args, { timeout: (seconds + 60) * 1000 }, (err, out, stderr) =>
          err ? reject(new Error(`wrk failed: ${err.message}\n${stderr}`)) : resolve(out),
        );
      });
    if (spec.warmup > 0) await run(spec.warmup);
    spec.onStart?.();
    return parseWrk(await run(spec.duration));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
