/** A duration as HH:MM:SS (hours may exceed 24), the way the upstream culler prints idle times; null = unknown. */
export function formatDuration(ms: number | null): string {
  if (ms === null) return 'unknown';
  const sign = ms < 0 ? '-' : '';
  let s = Math.floor(Math.abs(ms) / 1000);
  const h = Math.floor(s / 3600);
  s %= 3600;
  const m = Math.floor(s / 60);
  s %= 60;
  const two = (n: number) => String(n).padStart(2, '0');
  return `${sign}${two(h)}:${two(m)}:${two(s)}`;
}
