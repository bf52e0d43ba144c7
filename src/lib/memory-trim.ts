import v8 from 'node:v8';
import vm from 'node:vm';

type FullGc = (options: { type: 'major'; execution: 'sync'; flavor: 'regular' | 'last-resort' }) => void;

/**
 * V8's `gc()` without starting node with --expose-gc: the flag is read when a context is created, so a
 * fresh vm context gets the function; the flag is turned off again so later contexts do not.
 */
function exposedGc(): FullGc {
  const global = (globalThis as { gc?: FullGc }).gc;
  if (global) return global;
  v8.setFlagsFromString('--expose-gc');
  try {
    return vm.runInNewContext('gc') as FullGc;
  } finally {
    v8.setFlagsFromString('--no-expose-gc');
  }
}

export interface MemoryTrimOptions {
  /** How often to look whether the process is idle. */
  checkEveryMs?: number;
  /** Below this share of one core's time used since the last look, the process counts as idle. */
  idleCpuShare?: number;
  /** Trim again only once V8's heap has grown by this much since the last trim. */
  minGrowthBytes?: number;
  /** How often to look at the heap while busy (see `headroomBytes`). */
  busyCheckEveryMs?: number;
  /**
   * While busy, collect once the heap holds this much more than after the last full collection. V8 lets
   * the old generation grow to up to four times what was live before it collects it, and the pages it
   * then frees stay with the process: under a load that promotes what it allocates (a cache churning, a
   * request kept across many awaits) the hub's RSS went to 3-4 times its live heap. A full collection of
   * the hub's heap takes 10-20 ms; at the promotion rates of the benchmark's loads it runs every few
   * seconds, well under 1% of a core.
   */
  headroomBytes?: number;
}

export interface MemoryTrimmer {
  /** Collects now, giving unused heap back to the system. */
  trim(): void;
  /** How many times it has trimmed. */
  readonly trims: number;
  /** How many times it collected while busy, for the heap's headroom. */
  readonly busyCollections: number;
  stop(): void;
}

const heapBytes = () => v8.getHeapStatistics().total_physical_size;
const usedBytes = () => v8.getHeapStatistics().used_heap_size;

/**
 * Gives memory back when a long-running command is idle: once right after start-up, and again whenever
 * the process has been idle for a while after its heap grew. Start-up and bursts of requests grow V8's
 * young generation to its maximum (tens of MB), and V8 keeps it at that size however idle the process
 * then is; a full collection in V8's memory-reducing mode ('last-resort') shrinks it and compacts the
 * rest. It pauses the process for about 0.1 s per 30 MB of live heap, hence only when idle. While busy it
 * runs an ordinary full collection instead, once the heap outgrows what was live by `headroomBytes`.
 */
export function startMemoryTrim(opts: MemoryTrimOptions = {}): MemoryTrimmer {
  const checkEveryMs = opts.checkEveryMs ?? 15_000;
  const idleCpuMicros = checkEveryMs * 1000 * (opts.idleCpuShare ?? 0.02);
  const minGrowth = opts.minGrowthBytes ?? 16 * 1024 * 1024;
  const headroom = opts.headroomBytes ?? 32 * 1024 * 1024;
  const gc = exposedGc();
  let trims = 0;
  let busyCollections = 0;
  let heapAfterTrim = 0;
  // The least the heap held since the last collection made here: what was live after V8's own
  // collections as well, without being told of them.
  let floor = usedBytes();
  const trimmer: MemoryTrimmer = {
    trim() {
      gc({ type: 'major', execution: 'sync', flavor: 'last-resort' });
      trims++;
      heapAfterTrim = heapBytes();
      floor = usedBytes();
    },
    get trims() {
      return trims;
    },
    get busyCollections() {
      return busyCollections;
    },
    stop() {
      clearImmediate(first);
      clearInterval(timer);
      clearInterval(busy);
    },
  };
  const busy = setInterval(() => {
    const used = usedBytes();
    if (used < floor) floor = used;
    else if (used > floor + headroom) {
      gc({ type: 'major', execution: 'sync', flavor: 'regular' });
      busyCollections++;
      floor = usedBytes();
    }
  }, opts.busyCheckEveryMs ?? 1000).unref();
  // After the work already queued (the rest of start-up), not in the middle of it.
  const first = setImmediate(() => trimmer.trim()).unref();
  let cpuBefore = process.cpuUsage();
  const timer = setInterval(() => {
    const used = process.cpuUsage(cpuBefore);
    cpuBefore = process.cpuUsage();
    if (used.user + used.system < idleCpuMicros && heapBytes() > heapAfterTrim + minGrowth) trimmer.trim();
  }, checkEveryMs).unref();
  return trimmer;
}
