import type { FastifyBaseLogger } from 'fastify';

type Bindings = Parameters<FastifyBaseLogger['child']>[0];
type ChildOptions = Parameters<FastifyBaseLogger['child']>[1];
type Level = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace';
const LEVELS: readonly Level[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace'];

/** pino's own check, where the logger has one (fastify's abstract logger does not). */
export const levelEnabled = (logger: FastifyBaseLogger, level: Level): boolean => (logger as { isLevelEnabled?: (l: string) => boolean }).isLevelEnabled?.(level) ?? true;

/**
 * Fastify's per-request child logger, made only when something is logged at an enabled level.
 * pino serialises (and redacts) a child's bindings when it is created: at LOG_LEVEL=warn nothing is
 * logged for a request that succeeds, and that creation was 3 % of a client_credentials request's
 * main-thread time. At info and below fastify logs every request, so every child is made as before.
 */
export function lazyChildLogger(parent: FastifyBaseLogger, bindings: Bindings, options?: ChildOptions): FastifyBaseLogger {
  let made: FastifyBaseLogger | undefined;
  const child = () => (made ??= parent.child(bindings, options));
  const lazy = {
    get level() {
      return made?.level ?? parent.level;
    },
    set level(level: string) {
      child().level = level;
    },
    silent: (...args: unknown[]) => (child().silent as (...a: unknown[]) => void)(...args),
    child: (more: Bindings, moreOptions?: ChildOptions) => child().child(more, moreOptions),
  } as FastifyBaseLogger;
  for (const level of LEVELS) {
    (lazy as unknown as Record<Level, (...args: unknown[]) => void>)[level] = (...args: unknown[]) => {
      if (made || levelEnabled(parent, level)) (child()[level] as (...a: unknown[]) => void)(...args);
    };
  }
  return lazy;
}
