import type { Compilable, CompiledQuery, DialectAdapter, Kysely, QueryResult } from 'kysely';
import type { Database } from './tables.ts';

/**
 * A query of fixed shape, built and compiled by Kysely once per database dialect and then run with new
 * values: on a hot path, building the operation tree and compiling it to SQL costs more CPU than SQLite
 * takes to run a small query.
 *
 * `build(db, args)` writes the query as usual, reading each argument from `args` by name (`args.name`) in
 * a value position (a comparison, an inserted or updated value, a limit). It runs once per dialect with
 * stand-ins for the arguments, so it must not branch on them, spread `args`, or pass an argument where
 * Kysely expects a list (`in`), an identifier or a literal: anything that changes the SQL text with the
 * values is not a fixed shape. Arguments that do not end up as parameters are refused when compiling.
 *
 * An argument named in `lists` is a non-empty array, for `in`, each element a parameter. Its length is
 * rounded up to a power of two by repeating the last element (which `in` ignores), so a query has at
 * most a dozen compiled forms (and prepared statements) whatever the lengths it is run with.
 */
/**
 * Runs a plain read's SQL at once and gives its rows, outside Kysely's executor, or null when it cannot
 * (a transaction is open on the connection: the read must wait for it, as Kysely's path does).
 */
export type DirectRead = (sql: string, parameters: readonly unknown[]) => unknown[] | null;

const directReads = new WeakMap<Kysely<Database>, DirectRead>();

/**
 * Lets the compiled reads on `db` (not on its transactions) skip Kysely's executor: on SQLite a read is a
 * synchronous call on the one connection, and the executor's layers (the connection mutex, the plugins'
 * and the write clock's wrappers, their promises) cost about as much as SQLite's own work for a lookup by
 * key (~5 µs of ~11 µs). A read that finds no transaction open cannot come between a transaction's
 * statements, and it reads what Kysely's path would read at that moment.
 */
export function readDirectly(db: Kysely<Database>, read: DirectRead): void {
  directReads.set(db, read);
}

export function compiledQuery<A extends object, O>(
  build: (db: Kysely<Database>, args: A) => Compilable<O>,
  opts: { lists?: readonly (keyof A & string)[] } = {},
): FixedQuery<A, O> {
  return new FixedQuery(build, opts.lists ?? []);
}

// Stand-in values: strings, because Kysely passes strings through to the parameters untouched.
const STAND_IN = '\u0000tshub-compiled-query-arg:';

/** One parameter of the compiled SQL: an argument by name (an element of it for a list), or a fixed value. */
type Slot = { arg: string; index: number } | { fixed: unknown };

interface Compiled {
  query: CompiledQuery;
  slots: Slot[];
}

export class FixedQuery<A extends object, O> {
  readonly #build: (db: Kysely<Database>, args: A) => Compilable<O>;
  readonly #lists: readonly string[];
  // The SQL depends on the dialect (and list lengths) only: a transaction shares its database's adapter, so
  // both hit the same entry.
  readonly #byAdapter = new WeakMap<DialectAdapter, Map<string, Compiled>>();

  constructor(build: (db: Kysely<Database>, args: A) => Compilable<O>, lists: readonly string[]) {
    this.#build = build;
    this.#lists = lists;
  }

  /** The rows (and, for writes, the affected-row counts) of running the query with `args`. */
  async execute(db: Kysely<Database>, args: A): Promise<QueryResult<O>> {
    const named = args as Record<string, unknown>;
    const lengths = new Map<string, number>();
    for (const name of this.#lists) {
      const list = named[name];
      if (!Array.isArray(list) || list.length === 0)
        throw new TypeError(`compiled query: argument '${name}' must be a non-empty array`);
      lengths.set(name, 2 ** Math.ceil(Math.log2(list.length)));
    }
    const { query, slots } = this.#compiled(db, lengths);
    const parameters = slots.map((s) => {
      if ('fixed' in s) return s.fixed;
      let value = named[s.arg];
      if (s.index >= 0) {
        const list = value as unknown[];
        value = list[Math.min(s.index, list.length - 1)];
      }
      // An undefined value would make Kysely leave a column out or fail; with a fixed shape it cannot.
      if (value === undefined) throw new TypeError(`compiled query: argument '${s.arg}' is undefined`);
      return value;
    });
    if (query.query.kind === 'SelectQueryNode') {
      const rows = directReads.get(db)?.(query.sql, parameters);
      if (rows) return { rows: rows as O[] };
    }
    return db.executeQuery<O>({ query: query.query, queryId: query.queryId, sql: query.sql, parameters });
  }

  async first(db: Kysely<Database>, args: A): Promise<O | undefined> {
    return (await this.execute(db, args)).rows[0];
  }

  #compiled(db: Kysely<Database>, lengths: Map<string, number>): Compiled {
    const executor = db.getExecutor();
    // Plugins may rewrite a query differently per database handle: compile for each run then.
    if (executor.plugins.length > 0) return compile(db, this.#build, lengths);
    let byLengths = this.#byAdapter.get(executor.adapter);
    if (byLengths === undefined) {
      byLengths = new Map();
      this.#byAdapter.set(executor.adapter, byLengths);
    }
    const key = lengths.size === 0 ? '' : [...lengths.values()].join(',');
    let c = byLengths.get(key);
    if (c === undefined) {
      c = compile(db, this.#build, lengths);
      byLengths.set(key, c);
    }
    return c;
  }
}

function compile<A extends object, O>(
  db: Kysely<Database>,
  build: (db: Kysely<Database>, args: A) => Compilable<O>,
  lengths: Map<string, number>,
): Compiled {
  const read = new Set<string>();
  const standIns = new Proxy(
    {},
    {
      get(_target, key) {
        if (typeof key !== 'string') return undefined;
        read.add(key);
        const n = lengths.get(key);
        return n === undefined ? STAND_IN + key : Array.from({ length: n }, (_, i) => `${STAND_IN + key}#${i}`);
      },
    },
  ) as A;
  const query = build(db, standIns).compile();
  const slots = query.parameters.map((p): Slot => {
    if (typeof p !== 'string' || !p.startsWith(STAND_IN)) return { fixed: p };
    const [arg, index] = p.slice(STAND_IN.length).split('#') as [string, string | undefined];
    return { arg, index: index === undefined ? -1 : Number(index) };
  });
  const bound = new Set(slots.flatMap((s) => ('arg' in s ? [s.arg] : [])));
  const unbound = [...read].filter((k) => !bound.has(k));
  if (unbound.length > 0 || query.sql.includes(STAND_IN)) {
    throw new TypeError(
      `compiled query: argument(s) ${unbound.join(', ') || '(in the SQL text)'} not used as plain values in: ${query.sql}`,
    );
  }
  return { query, slots };
}
