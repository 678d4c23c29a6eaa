import type { FastifyBaseLogger } from 'fastify';

type Bindings = Parameters<FastifyBaseLogger['child']>[0];
type ChildOptions = Parameters<FastifyBaseLogger['child']>[1];
type Level = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace';

/** pino's own check, where the logger has one (fastify's abstract logger does not). */
export const levelEnabled = (logger: FastifyBaseLogger, level: Level): boolean => (logger as { isLevelEnabled?: (l: string) => boolean }).isLevelEnabled?.(level) ?? true;

/**
 * Fastify's per-request child logger, made only when something is logged at an enabled level.
 * pino serialises (and redacts) a child's bindings when it is created: at LOG_LEVEL=warn nothing is
 * logged for a request that succeeds, and that creation was 3 % of a client_credentials request's
 * main-thread time. At info and below fastify logs every request, so every child is made as before.
 * A class, so a request costs one small object: the methods live on the prototype (closures per
 * request were 5 % of a client_credentials request's allocations).
 */
class LazyChildLogger {
  private made: FastifyBaseLogger | undefined;

  constructor(
    private readonly parent: FastifyBaseLogger,
    private readonly bindings: Bindings,
    private readonly options: ChildOptions | undefined,
  ) {}

  private childNow(): FastifyBaseLogger {
    return (this.made ??= this.parent.child(this.bindings, this.options));
  }

  private write(level: Level, args: unknown[]): void {
    if (this.made || levelEnabled(this.parent, level)) (this.childNow()[level] as (...a: unknown[]) => void)(...args);
  }

  get level(): string {
    return this.made?.level ?? this.parent.level;
  }

  set level(level: string) {
    this.childNow().level = level;
  }

  fatal(...args: unknown[]): void {
    this.write('fatal', args);
  }
  error(...args: unknown[]): void {
    this.write('error', args);
  }
  warn(...args: unknown[]): void {
    this.write('warn', args);
  }
  info(...args: unknown[]): void {
    this.write('info', args);
  }
  debug(...args: unknown[]): void {
    this.write('debug', args);
  }
  trace(...args: unknown[]): void {
    this.write('trace', args);
  }
  silent(...args: unknown[]): void {
    (this.childNow().silent as (...a: unknown[]) => void)(...args);
  }
  child(more: Bindings, moreOptions?: ChildOptions): FastifyBaseLogger {
    return this.childNow().child(more, moreOptions);
  }
}

export function lazyChildLogger(parent: FastifyBaseLogger, bindings: Bindings, options?: ChildOptions): FastifyBaseLogger {
  return new LazyChildLogger(parent, bindings, options) as unknown as FastifyBaseLogger;
}
