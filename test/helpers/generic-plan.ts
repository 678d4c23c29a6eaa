import { sql, type Kysely } from 'kysely';
import type { Database } from '../../src/db/types.js';
import { withTransaction } from '../../src/db/transaction.js';

export interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  Plans?: PlanNode[];
}

/** How the plan reads `relation`: 'Seq Scan', or the index it goes through. */
export function readsOf(plan: PlanNode, relation: string): string[] {
  const children = plan.Plans ?? [];
  let own: string[] = [];
  if (plan['Relation Name'] === relation && plan['Node Type'] !== 'ModifyTable') {
    if (plan['Node Type'] === 'Bitmap Heap Scan') own = children.map((child) => child['Index Name'] ?? child['Node Type']);
    else own = [plan['Index Name'] ?? plan['Node Type']];
  }
  return [...own, ...children.flatMap((child) => readsOf(child, relation))];
}

/**
 * The generic plan of a statement as a prepared statement runs it after five executions: planned
 * without its parameters' values (Postgres only; the text as the StatementRecorder wrote it down).
 */
export async function genericPlan(db: Kysely<Database>, statement: string): Promise<PlanNode> {
  const parameterCount = Math.max(0, ...[...statement.matchAll(/\$(\d+)/g)].map((m) => Number(m[1])));
  return withTransaction(db, async (trx) => {
    await sql`set local plan_cache_mode = force_generic_plan`.execute(trx);
    await sql.raw(`prepare statement_under_test as ${statement}`).execute(trx);
    const nulls = Array.from({ length: parameterCount }, () => 'null').join(', ');
    const explained = await sql.raw<{ 'QUERY PLAN': unknown }>(`explain (format json) execute statement_under_test${parameterCount ? `(${nulls})` : ''}`).execute(trx);
    await sql`deallocate statement_under_test`.execute(trx);
    const raw = explained.rows[0]!['QUERY PLAN'];
    return ((typeof raw === 'string' ? JSON.parse(raw) : raw) as { Plan: PlanNode }[])[0]!.Plan;
  });
}
