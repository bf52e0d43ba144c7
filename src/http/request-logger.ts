import type { FastifyBaseLogger, FastifyServerOptions } from 'fastify';
import type { Logger } from 'pino';

type ChildOptions = Parameters<FastifyBaseLogger['child']>[1] & object;
type Bindings = Record<string, unknown>;
type Level = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace';

/**
 * Fastify's per-request logger (a child carrying the request id), made only once the request logs a line
 * its level lets through. Making a pino child with redaction costs more than the rest of a whoami answered
 * from memory, and at the usual levels most requests never log anything.
 */
class RequestLogger {
  readonly #parent: FastifyBaseLogger;
  readonly #bindings: Bindings;
  #child: FastifyBaseLogger | undefined;

  constructor(parent: FastifyBaseLogger, bindings: Bindings) {
    this.#parent = parent;
    this.#bindings = bindings;
  }

  #made(): FastifyBaseLogger {
    this.#child ??= this.#parent.child(this.#bindings);
    return this.#child;
  }

  #log(level: Level, args: unknown[]): void {
    if (this.#child || (this.#parent as Logger).isLevelEnabled(level))
      (this.#made()[level] as (...a: unknown[]) => void)(...args);
  }

  get level(): string {
    return (this.#child ?? this.#parent).level;
  }

  set level(value: string) {
    this.#made().level = value;
  }

  child(bindings: Bindings, opts?: ChildOptions): FastifyBaseLogger {
    return this.#made().child(bindings, opts);
  }

  fatal(...args: unknown[]): void {
    this.#log('fatal', args);
  }

  error(...args: unknown[]): void {
    this.#log('error', args);
  }

  warn(...args: unknown[]): void {
    this.#log('warn', args);
  }

  info(...args: unknown[]): void {
    this.#log('info', args);
  }

  debug(...args: unknown[]): void {
    this.#log('debug', args);
  }

  trace(...args: unknown[]): void {
    this.#log('trace', args);
  }

  silent(): void {}
}

export const requestLogger: NonNullable<FastifyServerOptions['childLoggerFactory']> = (
  parent,
  bindings,
  opts: ChildOptions,
) =>
  // A route with a level or serializers of its own gets its child at once.
  Object.keys(opts).length > 0
    ? parent.child(bindings, opts)
    : (new RequestLogger(parent, bindings) as unknown as FastifyBaseLogger);
