import type { KyselyPlugin, PluginTransformQueryArgs, PluginTransformResultArgs, QueryResult, RootOperationNode, UnknownRow } from 'kysely';
import type { DatabaseHandle } from '../../src/db/connect.js';

/**
 * Instrumentation, not a mock: the real database handle with a kysely plugin that writes down
 * the SQL text of every statement it runs (parameters left out), so a test can compare the
 * database work of two code paths.
 */
export class StatementRecorder implements KyselyPlugin {
  private recorded: string[] = [];
  readonly handle: DatabaseHandle;

  constructor(base: DatabaseHandle) {
    const executor = base.db.getExecutor();
    this.compile = (node, queryId) => executor.compileQuery(node, queryId).sql;
    this.handle = { ...base, db: base.db.withPlugin(this) };
  }

  private readonly compile: (node: RootOperationNode, queryId: PluginTransformQueryArgs['queryId']) => string;

  private traps: { pattern: RegExp; action: () => void }[] = [];

  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    const statement = this.compile(args.node, args.queryId).replace(/\s+/g, ' ').trim();
    this.recorded.push(statement);
    const trap = this.traps.find((t) => t.pattern.test(statement));
    if (trap) {
      this.traps = this.traps.filter((t) => t !== trap);
      trap.action();
    }
    return args.node;
  }

  /**
   * Runs `action` once, synchronously, when the next statement matching `pattern` is about to be
   * sent (before it reaches the database): a test can cut the network at an exact point.
   */
  onNext(pattern: RegExp, action: () => void): void {
    this.traps.push({ pattern, action });
  }

  async transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    return args.result;
  }

  /** Runs `action` and returns the statements run meanwhile, leaving out background key-ring reloads. */
  async during(action: () => Promise<unknown>): Promise<string[]> {
    this.recorded = [];
    await action();
    return this.recorded.filter((statement) => !/signing_keys|pg_try_advisory|pg_advisory/.test(statement));
  }
}
