/** Daily automatic analysis settings of one instance (DCS autoscan). */
export interface AutoscanConfig {
  readonly instanceId: string;
  readonly enableAutoScan: boolean;
  /** Daily UTC times, "HH:mm", sorted, unique. */
  readonly scheduleAt: readonly string[];
  readonly updatedAt: string | null;
}
