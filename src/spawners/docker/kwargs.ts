// DockerSpawner configs pass docker-py's keyword arguments (snake_case, some values in docker-py's own
// forms); dockerode speaks the Engine API (PascalCase). This turns the one into the other, so an admin
// can copy extra_create_kwargs / extra_host_config from a jupyterhub_config.py as they are.

/** docker-py names that are not simply the Engine API name in snake_case. */
const RENAMED: Record<string, string> = {
  environment: 'Env',
  command: 'Cmd',
  stdin_open: 'OpenStdin',
  mem_limit: 'Memory',
  memswap_limit: 'MemorySwap',
  mem_reservation: 'MemoryReservation',
  mem_swappiness: 'MemorySwappiness',
  read_only: 'ReadonlyRootfs',
};

const BYTE_VALUED = new Set(['Memory', 'MemorySwap', 'MemoryReservation', 'ShmSize']);

const UNITS: Record<string, number> = { '': 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 };

/**
 * Bytes from a number or a size such as `512m` / `2G` / `1.5G` (docker-py's and JupyterHub's
 * ByteSpecification, both powers of 1024); throws on anything else.
 */
export function parseBytes(value: unknown, what: string): number {
  if (typeof value === 'number' && Number.isFinite(value) && value >= 0) return Math.floor(value);
  const m = typeof value === 'string' ? /^([0-9]+(?:\.[0-9]+)?)\s*([bkmgt]?)b?$/i.exec(value.trim()) : null;
  if (m === null)
    throw new Error(`${what}: ${JSON.stringify(value)} is not a size (a number of bytes, or like 512M or 2G)`);
  return Math.floor(Number(m[1]) * UNITS[m[2]!.toLowerCase()]!);
}

export function engineKey(key: string): string {
  if (/^[A-Z]/.test(key)) return key;
  return (
    RENAMED[key] ??
    key
      .split('_')
      .map((w) => (w ? w[0]!.toUpperCase() + w.slice(1) : w))
      .join('')
  );
}

function engineValue(key: string, value: unknown, where: string): unknown {
  if (BYTE_VALUED.has(key)) return parseBytes(value, `${where}.${key}`);
  if (key === 'Env' && value !== null && typeof value === 'object' && !Array.isArray(value))
    return Object.entries(value).map(([k, v]) => `${k}=${String(v)}`);
  if (key === 'ExtraHosts' && value !== null && typeof value === 'object' && !Array.isArray(value))
    return Object.entries(value).map(([h, ip]) => `${h}:${String(ip)}`);
  if (key === 'Cmd' && typeof value === 'string') return ['sh', '-c', value];
  return value;
}

/** The Engine API form of one level of docker-py keyword arguments. */
export function engineKwargs(kwargs: Record<string, unknown>, where: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(kwargs)) {
    const key = engineKey(k);
    out[key] = engineValue(key, v, where);
  }
  return out;
}
