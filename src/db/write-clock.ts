import type {
  CompiledQuery,
  DatabaseConnection,
  Dialect,
  Driver,
  QueryCompiler,
  QueryResult,
  TransactionSettings,
} from 'kysely';

/**
 * Counts the hub's writes to its database, so that what is computed from the database can be kept in memory
 * and known to be current: anything worked out while the count stayed the same saw no write.
 *
 * A write moves the clock before it runs and again once it is done, and a transaction again when it commits
 * or rolls back. So a reader that takes the count, reads, and finds the count unchanged read nothing older
 * than any write that finished before it began; and whatever it read during an open transaction on another
 * connection (PostgreSQL) stops being current at that transaction's commit.
 */
export class WriteClock {
  #count = 0;
  readonly #external: (() => boolean) | null;
  #externalAsked = 0;

  /**
   * `external()` tells whether another process has written since it was last asked (SQLite's data_version).
   * Asking takes the database's read lock (~20 µs), so it is asked at most every EXTERNAL_CHECK_MS: another
   * process's write (a `tshub token` run) is seen that much later than the hub's own, which are seen at once.
   */
  constructor(external: (() => boolean) | null = null) {
    this.#external = external;
  }

  tick(): void {
    this.#count++;
  }

  /** The current count: equal counts mean no write (by this process or, where detectable, another) between. */
  now(): number {
    if (this.#external) {
      const t = Date.now();
      if (t - this.#externalAsked >= EXTERNAL_CHECK_MS) {
        this.#externalAsked = t;
        if (this.#external()) this.#count++;
      }
    }
    return this.#count;
  }
}

const EXTERNAL_CHECK_MS = 100;

// Raw SQL is a read only when it plainly is one; anything else counts as a write, to be safe.
const RAW_READ = /^\s*(?:select|explain)\b/i;

function isWrite(query: CompiledQuery): boolean {
  const kind = query.query.kind;
  if (kind === 'SelectQueryNode') return false;
  if (kind === 'RawNode') return !RAW_READ.test(query.sql);
  return true;
}

/** A connection that ticks the clock around every write it runs. */
class WatchedConnection implements DatabaseConnection {
  readonly inner: DatabaseConnection;
  readonly #clock: WriteClock;

  constructor(inner: DatabaseConnection, clock: WriteClock) {
    this.inner = inner;
    this.#clock = clock;
  }

  async executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    if (!isWrite(query)) return this.inner.executeQuery<R>(query);
    this.#clock.tick();
    try {
      return await this.inner.executeQuery<R>(query);
    } finally {
      this.#clock.tick();
    }
  }

  async *streamQuery<R>(query: CompiledQuery, chunkSize: number): AsyncIterableIterator<QueryResult<R>> {
    const write = isWrite(query);
    if (write) this.#clock.tick();
    try {
      yield* this.inner.streamQuery<R>(query, chunkSize);
    } finally {
      if (write) this.#clock.tick();
    }
  }
}

const innerOf = (c: DatabaseConnection): DatabaseConnection => (c instanceof WatchedConnection ? c.inner : c);

class WatchedDriver implements Driver {
  readonly #inner: Driver;
  readonly #clock: WriteClock;
  readonly savepoint?: Driver['savepoint'];
  readonly rollbackToSavepoint?: Driver['rollbackToSavepoint'];
  readonly releaseSavepoint?: Driver['releaseSavepoint'];

  constructor(inner: Driver, clock: WriteClock) {
    this.#inner = inner;
    this.#clock = clock;
    type SavepointCall = (c: DatabaseConnection, name: string, compile: QueryCompiler['compileQuery']) => Promise<void>;
    const forward = (f: SavepointCall | undefined): SavepointCall | undefined =>
      f && ((c, name, compile) => f.call(inner, innerOf(c), name, compile));
    this.savepoint = forward(inner.savepoint);
    this.releaseSavepoint = forward(inner.releaseSavepoint);
    const rollbackTo = forward(inner.rollbackToSavepoint);
    this.rollbackToSavepoint =
      rollbackTo && ((c, name, compile) => rollbackTo(c, name, compile).finally(() => clock.tick()));
  }

  init(): Promise<void> {
    return this.#inner.init();
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    return new WatchedConnection(await this.#inner.acquireConnection(), this.#clock);
  }

  beginTransaction(c: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    return this.#inner.beginTransaction(innerOf(c), settings);
  }

  async commitTransaction(c: DatabaseConnection): Promise<void> {
    try {
      await this.#inner.commitTransaction(innerOf(c));
    } finally {
      this.#clock.tick();
    }
  }

  async rollbackTransaction(c: DatabaseConnection): Promise<void> {
    try {
      await this.#inner.rollbackTransaction(innerOf(c));
    } finally {
      this.#clock.tick();
    }
  }

  releaseConnection(c: DatabaseConnection): Promise<void> {
    return this.#inner.releaseConnection(innerOf(c));
  }

  destroy(): Promise<void> {
    return this.#inner.destroy();
  }
}

/** `dialect` with every write it runs counted on `clock`. */
export function watchWrites(dialect: Dialect, clock: WriteClock): Dialect {
  return {
    createDriver: () => new WatchedDriver(dialect.createDriver(), clock),
    createQueryCompiler: () => dialect.createQueryCompiler(),
    createAdapter: () => dialect.createAdapter(),
    createIntrospector: (db) => dialect.createIntrospector(db),
  };
}
