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
 */
export function compiledQuery<A extends object, O>(
  build: (db: Kysely<Database>, args: A) => Compilable<O>,
): FixedQuery<A, O> {
  return new FixedQuery(build);
}

// Stand-in values: strings, because Kysely passes strings through to the parameters untouched.
const STAND_IN = '\u0000tshub-compiled-query-arg:';

/** One parameter of the compiled SQL: an argument by name, or a value fixed in the query itself. */
type Slot = { arg: string } | { fixed: unknown };

interface Compiled {
  query: CompiledQuery;
  slots: Slot[];
}

export class FixedQuery<A extends object, O> {
  readonly #build: (db: Kysely<Database>, args: A) => Compilable<O>;
  // The SQL depends on the dialect only: a transaction shares its database's adapter, so both hit the same entry.
  readonly #byAdapter = new WeakMap<DialectAdapter, Compiled>();

  constructor(build: (db: Kysely<Database>, args: A) => Compilable<O>) {
    this.#build = build;
  }

  /** The rows (and, for writes, the affected-row counts) of running the query with `args`. */
  async execute(db: Kysely<Database>, args: A): Promise<QueryResult<O>> {
    const { query, slots } = this.#compiled(db);
    const parameters = slots.map((s) => {
      if ('fixed' in s) return s.fixed;
      const value = (args as Record<string, unknown>)[s.arg];
      // An undefined value would make Kysely leave a column out or fail; with a fixed shape it cannot.
      if (value === undefined) throw new TypeError(`compiled query: argument '${s.arg}' is undefined`);
      return value;
    });
    return db.executeQuery<O>({ query: query.query, queryId: query.queryId, sql: query.sql, parameters });
  }

  async first(db: Kysely<Database>, args: A): Promise<O | undefined> {
    return (await this.execute(db, args)).rows[0];
  }

  #compiled(db: Kysely<Database>): Compiled {
    const executor = db.getExecutor();
    // Plugins may rewrite a query differently per database handle: compile for each run then.
    if (executor.plugins.length > 0) return compile(db, this.#build);
    let c = this.#byAdapter.get(executor.adapter);
    if (c === undefined) {
      c = compile(db, this.#build);
      this.#byAdapter.set(executor.adapter, c);
    }
    return c;
  }
}

function compile<A extends object, O>(
  db: Kysely<Database>,
  build: (db: Kysely<Database>, args: A) => Compilable<O>,
): Compiled {
  const read = new Set<string>();
  const standIns = new Proxy(
    {},
    {
      get(_target, key) {
        if (typeof key !== 'string') return undefined;
        read.add(key);
        return STAND_IN + key;
      },
    },
  ) as A;
  const query = build(db, standIns).compile();
  const slots = query.parameters.map(
    (p): Slot => (typeof p === 'string' && p.startsWith(STAND_IN) ? { arg: p.slice(STAND_IN.length) } : { fixed: p }),
  );
  const bound = new Set(slots.flatMap((s) => ('arg' in s ? [s.arg] : [])));
  const unbound = [...read].filter((k) => !bound.has(k));
  if (unbound.length > 0 || query.sql.includes(STAND_IN)) {
    throw new TypeError(
      `compiled query: argument(s) ${unbound.join(', ') || '(in the SQL text)'} not used as plain values in: ${query.sql}`,
    );
  }
  return { query, slots };
}
