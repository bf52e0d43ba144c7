/** Timestamps are stored and served as ISO-8601 UTC with milliseconds, e.g. 2026-01-02T03:04:05.678Z. */
export function isoNow(): string {
  return new Date().toISOString();
}

export function isoIn(seconds: number, from = Date.now()): string {
  return new Date(from + seconds * 1000).toISOString();
}

/** Parses a client-given timestamp; naive ones (no zone) are UTC, as JupyterHub treats them. */
export function parseTimestamp(value: string): Date | null {
  const hasZone = /(Z|[+-]\d\d:?\d\d)$/i.test(value);
  const d = new Date(hasZone ? value : `${value}Z`);
  return Number.isNaN(d.getTime()) ? null : d;
}

export function isPast(iso: string | null, now = Date.now()): boolean {
  return iso !== null && Date.parse(iso) <= now;
}
