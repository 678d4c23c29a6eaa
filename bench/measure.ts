/** Runs `operation` repeatedly for about `ms` and returns operations per second. */
export async function opsPerSecond(operation: () => unknown, ms = 1500): Promise<number> {
  for (let i = 0; i < 20; i++) await operation(); // warm-up
  let count = 0;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < ms) {
    for (let i = 0; i < 16; i++) await operation();
    count += 16;
    elapsed = performance.now() - start;
  }
  return Math.round((count * 1000) / elapsed);
}

export function table(rows: Record<string, string | number>[]): void {
  console.table(rows);
}
