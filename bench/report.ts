// Figures: collected per target, printed as `name value unit [ratio_vs_...=x]`, and checked against the targets.

export interface Figure {
  name: string;
  value: number;
  unit: string;
}

const ORDER = [
  'whoami_rps',
  'whoami_p99_ms',
  'whoami_rps_10_tokens',
  'whoami_rps_100k_tokens',
  'whoami_p99_ms_10_tokens',
  'whoami_p99_ms_100k_tokens',
  'whoami_rps_100k_tokens_uncached',
  'whoami_p99_ms_100k_tokens_uncached',
  'whoami_rps_cache_off',
  'whoami_p99_ms_cache_off',
  'list_users_rps',
  'list_users_p99_ms',
  'list_users_rps_uncached',
  'list_users_p99_ms_uncached',
  'list_users_rps_cache_off',
  'list_users_p99_ms_cache_off',
  'list_users_rps_uncached_cache_off',
  'list_users_p99_ms_uncached_cache_off',
  'token_create_rps',
  'token_create_p99_ms',
  'bulk_create_1000_users_s',
  'bulk_create_other_p99_ms',
  'hub_rss_idle_mb',
  'hub_rss_after_load_mb',
  'hub_rss_after_load_mb_cache_off',
  'hub_rss_end_mb',
  'spawn_ready_s',
  'stop_s',
  'bare_node_rps',
  'bare_node_p99_ms',
  'proxy_direct_rps',
  'proxy_direct_p99_ms',
  'proxy_chp_rps',
  'proxy_chp_p99_ms',
  'proxy_tshub_rps',
  'proxy_tshub_p99_ms',
];

export class Figures {
  readonly #items = new Map<string, Figure>();

  set(name: string, value: number, unit: string): Figure {
    const f = { name, value, unit };
    this.#items.set(name, f);
    return f;
  }

  get(name: string): number | undefined {
    return this.#items.get(name)?.value;
  }

  /** In the order of ORDER (then any others in the order they were set). */
  all(): Figure[] {
    const rank = (f: Figure) => {
      const i = ORDER.indexOf(f.name);
      return i === -1 ? ORDER.length : i;
    };
    return [...this.#items.values()].sort((a, b) => rank(a) - rank(b));
  }
}

export function formatValue(value: number, unit: string): string {
  if (!Number.isFinite(value)) return 'NaN';
  if (unit === 'req/s') return value >= 100 ? String(Math.round(value)) : value.toFixed(1);
  if (unit === 's') return value.toFixed(3);
  return value >= 100 ? value.toFixed(0) : value.toFixed(1);
}

export function formatRatio(r: number): string {
  if (!Number.isFinite(r)) return 'NaN';
  if (r >= 10) return r.toFixed(1);
  return r >= 0.1 ? r.toFixed(2) : r.toPrecision(2);
}

export function line(f: Figure, prefix = '', suffix = ''): string {
  return `${prefix}${f.name} ${formatValue(f.value, f.unit)} ${f.unit}${suffix}`;
}

/** ratio = tshub / other, for every unit: above 1 is better for req/s, below 1 is better for ms, s and MB. */
export function ratio(mine: number | undefined, other: number | undefined): number | undefined {
  if (mine === undefined || other === undefined || other === 0) return undefined;
  return mine / other;
}

export interface Goal {
  label: string;
  /** The measured value, or undefined when it did not run. */
  check(tshub: Figures, jupyterhub: Figures | null, bare: Figures): { ok: boolean; detail: string } | undefined;
}

const atMost = (name: string, limit: number, unit: string): Goal => ({
  label: `${name} <= ${limit} ${unit}`,
  check(t) {
    const v = t.get(name);
    return v === undefined ? undefined : { ok: v <= limit, detail: `${v.toFixed(1)} ${unit}` };
  },
});

const shareOfBareNode = (name: string, share: number): Goal => ({
  label: `${name} >= ${share * 100}% of bare node:http`,
  check(t, _j, b) {
    const r = ratio(t.get(name), b.get('bare_node_rps'));
    return r === undefined ? undefined : { ok: r >= share, detail: `${(r * 100).toFixed(0)}%` };
  },
});

const atLeastTimesJupyterhub = (name: string, times: number): Goal => ({
  label: `${name} >= ${times}x JupyterHub`,
  check(t, j) {
    const r = ratio(t.get(name), j?.get(name));
    return r === undefined ? undefined : { ok: r >= times, detail: `${formatRatio(r)}x` };
  },
});

export const GOALS: Goal[] = [
  atLeastTimesJupyterhub('whoami_rps', 15),
  shareOfBareNode('whoami_rps', 0.5),
  atLeastTimesJupyterhub('list_users_rps', 20),
  atLeastTimesJupyterhub('token_create_rps', 20),
  {
    label: 'bulk_create_1000_users_s < 0.5 s',
    check(t) {
      const v = t.get('bulk_create_1000_users_s');
      return v === undefined ? undefined : { ok: v < 0.5, detail: `${v.toFixed(3)} s` };
    },
  },
  {
    label: 'bulk_create_other_p99_ms < 50 ms',
    check(t) {
      const v = t.get('bulk_create_other_p99_ms');
      return v === undefined ? undefined : { ok: v < 50, detail: `${v.toFixed(1)} ms` };
    },
  },
  {
    label: 'auth flat 10 -> 100k tokens (whoami_rps_100k_tokens >= 90% of whoami_rps_10_tokens)',
    check(t) {
      const r = ratio(t.get('whoami_rps_100k_tokens'), t.get('whoami_rps_10_tokens'));
      return r === undefined ? undefined : { ok: r >= 0.9, detail: `${(r * 100).toFixed(0)}%` };
    },
  },
  {
    label: 'auth flat 10 -> 100k tokens (whoami_p99_ms_100k_tokens <= 1.2x whoami_p99_ms_10_tokens)',
    check(t) {
      const r = ratio(t.get('whoami_p99_ms_100k_tokens'), t.get('whoami_p99_ms_10_tokens'));
      return r === undefined ? undefined : { ok: r <= 1.2, detail: `${formatRatio(r)}x` };
    },
  },
  atMost('hub_rss_idle_mb', 60, 'MB'),
  atMost('token_inventory_p99_ms', 50, 'ms'),
  {
    label: 'tshub proxy ≥ 4× configurable-http-proxy',
    check(_t, _j, b) {
      const r = ratio(b.get('proxy_tshub_rps'), b.get('proxy_chp_rps'));
      return r === undefined ? undefined : { ok: r >= 4, detail: `${formatRatio(r)}x` };
    },
  },
];

/** Issue 22's targets for `--wrk` (10,000 users and 100,000 tokens in the database). */
export const WRK_GOALS: Goal[] = [
  atLeastTimesJupyterhub('whoami_rps', 15),
  shareOfBareNode('whoami_rps', 0.4),
  atLeastTimesJupyterhub('whoami_rps_100k_tokens_uncached', 15),
  atLeastTimesJupyterhub('list_users_rps_uncached', 20),
  atLeastTimesJupyterhub('token_create_rps', 20),
  atMost('hub_rss_idle_mb', 60, 'MB'),
  atMost('hub_rss_after_load_mb', 150, 'MB'),
];

/** The final summary: tshub figures with ratios, then the comparison figures, then the targets. */
export function summary(tshub: Figures, jupyterhub: Figures | null, bare: Figures, goals = GOALS): string[] {
  const out: string[] = [];
  const bareRps = bare.get('bare_node_rps');
  for (const f of tshub.all()) {
    let suffix = '';
    // A cache-off figure compares with JupyterHub's (which has no such cache) under the same name without it.
    const rj = ratio(f.value, jupyterhub?.get(f.name.replace(/_cache_off$/, '')));
    if (rj !== undefined) suffix += ` ratio_vs_jupyterhub=${formatRatio(rj)}`;
    if (f.name.startsWith('whoami_rps')) {
      const rb = ratio(f.value, bareRps);
      if (rb !== undefined) suffix += ` ratio_vs_bare_node=${formatRatio(rb)}`;
    }
    out.push(line(f, '', suffix));
  }
  for (const f of bare.all()) {
    const rc = f.name === 'proxy_tshub_rps' ? ratio(f.value, bare.get('proxy_chp_rps')) : undefined;
    out.push(line(f, '', rc === undefined ? '' : ` ratio_vs_chp=${formatRatio(rc)}`));
  }
  if (jupyterhub) for (const f of jupyterhub.all()) out.push(line(f, 'jupyterhub_'));
  out.push('# targets from the issue (ratio = tshub / other):');
  for (const t of goals) {
    const c = t.check(tshub, jupyterhub, bare);
    out.push(
      c === undefined ? `# SKIP ${t.label} (not measured)` : `# ${c.ok ? 'PASS' : 'MISS'} ${t.label}: ${c.detail}`,
    );
  }
  return out;
}
