import type { Clock } from '../../src/clock.js';

/** A clock the test moves: the real time plus an offset (so it keeps ticking). */
export class ManualClock implements Clock {
  private offsetMs = 0;
  constructor(private readonly frozenAt?: number) {}
  now(): number {
    return (this.frozenAt ?? Date.now()) + this.offsetMs;
  }
  advance(ms: number): void {
    this.offsetMs += ms;
  }
  /** Moves to an absolute time. */
  set(at: number): void {
    this.offsetMs += at - this.now();
  }
}
