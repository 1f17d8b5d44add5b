/**
 * Remembers the signatures accepted within their X-Sdk-Date window, to refuse a second use
 * (auth.refuse_replays). SDK-HMAC-SHA256 has no nonce, so "the same signature twice" is the
 * only replay test there is. Memory is bounded: an entry is forgotten once its date left the
 * 15-minute window (the date check refuses it from then on), and at most `maxEntries` are kept;
 * past that the oldest entry is forgotten, so that signature could be used once more within its
 * window (a burst of accepted signed requests above the cap is needed for that; only holders of
 * a secret key can add entries, since only verified signatures are remembered).
 */
export const DEFAULT_REPLAY_ENTRIES = 100_000;

export class ReplayGuard {
  /** Signature -> expiry (ms). A Map keeps insertion order: the first entry is the oldest. */
  private readonly seen = new Map<string, number>();

  constructor(private readonly maxEntries: number = DEFAULT_REPLAY_ENTRIES) {}

  /** True when this signature was accepted before and its window is still open. */
  wasSeen(signature: string, nowMs: number): boolean {
    const expiresAt = this.seen.get(signature);
    return expiresAt !== undefined && expiresAt >= nowMs;
  }

  /**
   * Records an accepted signature; false when it was already there (a replay that raced the
   * first use past `wasSeen`). Synchronous, so two requests cannot both record it.
   */
  remember(signature: string, expiresAtMs: number, nowMs: number): boolean {
    this.forgetExpired(nowMs);
    if (this.wasSeen(signature, nowMs)) return false;
    this.seen.delete(signature);
    while (this.seen.size >= this.maxEntries) {
      const oldest = this.seen.keys().next();
      if (oldest.done === true) break;
      this.seen.delete(oldest.value);
    }
    this.seen.set(signature, expiresAtMs);
    return true;
  }

  get size(): number {
    return this.seen.size;
  }

  /** Drops expired entries from the front; entries arrive roughly in date order, so this stays cheap. */
  private forgetExpired(nowMs: number): void {
    for (const [signature, expiresAt] of this.seen) {
      if (expiresAt >= nowMs) return;
      this.seen.delete(signature);
    }
  }
}
