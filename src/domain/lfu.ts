/** A node's LFU settings: how its counters grow (lfu-log-factor) and decay (lfu-decay-time, minutes). */
export interface LfuSettings {
  readonly logFactor: number;
  readonly decayTime: number;
  /** 'assumed' where CONFIG GET was refused: Redis's defaults are used then. */
  readonly source: 'config' | 'assumed';
}

/** Redis's defaults (redis.conf), assumed where a node does not say. */
export const LFU_DEFAULTS: LfuSettings = Object.freeze({ logFactor: 10, decayTime: 1, source: 'assumed' });
