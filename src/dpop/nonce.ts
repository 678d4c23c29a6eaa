import { createHmac, timingSafeEqual } from 'node:crypto';

/** A nonce is good for the window it was made in and the next one: between 60 and 120 s. */
export const NONCE_WINDOW_SECONDS = 60;

/**
 * RFC 9449 8: server-provided nonces without server state. The nonce of a time window is an HMAC
 * of the window's number under a key derived from KEY_ENCRYPTION_KEY, so every instance that
 * shares the key makes and accepts the same nonces (no table, no coordination), and they rotate by
 * themselves. The current and the previous window's nonce are accepted: a client that got a nonce
 * just before a window turned keeps it for at least one more window.
 */
export class DpopNonces {
  constructor(private readonly key: Buffer) {}

  private forWindow(window: number): string {
    return createHmac('sha256', this.key).update(`dpop-nonce:${window}`).digest('base64url');
  }

  private windowAt(nowSeconds: number): number {
    return Math.floor(nowSeconds / NONCE_WINDOW_SECONDS);
  }

  /** The nonce to hand out now (DPoP-Nonce header). */
  current(nowSeconds: number): string {
    return this.forWindow(this.windowAt(nowSeconds));
  }

  /** Whether a proof's nonce is this window's or the previous one's. */
  accepts(nonce: string, nowSeconds: number): boolean {
    const window = this.windowAt(nowSeconds);
    const given = Buffer.from(nonce);
    return [window, window - 1].some((w) => {
      const expected = Buffer.from(this.forWindow(w));
      return expected.length === given.length && timingSafeEqual(expected, given);
    });
  }
}
