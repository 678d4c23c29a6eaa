import { RING_RELOAD_INTERVAL_MS, rotationIsDue } from './lifecycle.js';
import type { KeyRing } from './ring.js';
import { rotateIfDue, type RotationDeps } from './rotation.js';

export interface MaintenanceLog {
  info(details: object, message: string): void;
  error(details: object, message: string): void;
}

export interface KeyMaintenance {
  /** One reload-and-rotate pass; what the timer runs. */
  tick(): Promise<void>;
  /** Stops the timer and waits for a pass in progress. */
  stop(): Promise<void>;
}

/**
 * Keeps an instance's ring current: every interval it re-reads the keys (so a rotation made by any
 * instance or the CLI is seen within one interval) and, when the ring says the active key is due,
 * takes part in the scheduled rotation (one instance wins the lock; the others see its key next pass).
 */
export function startKeyMaintenance(
  ring: KeyRing,
  rotation: RotationDeps,
  log: MaintenanceLog,
  intervalMs = RING_RELOAD_INTERVAL_MS,
): KeyMaintenance {
  let running: Promise<void> | undefined;
  let stopped = false;

  const pass = async () => {
    try {
      await ring.reload();
      if (!rotationIsDue(ring.schedules(), rotation.policy, rotation.clock.now())) return;
      if ((await rotateIfDue({ ...rotation, log: rotation.log ?? log })) === 'rotated') log.info({}, 'signing key rotation: published the next key');
      await ring.reload();
    } catch (error) {
      log.error({ err: error }, 'signing key ring: reload or rotation failed; serving the ring already loaded');
    }
  };

  const tick = () => (running ??= pass().finally(() => (running = undefined)));
  const timer = setInterval(() => {
    if (!stopped) void tick();
  }, intervalMs);
  timer.unref();

  return {
    tick,
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
