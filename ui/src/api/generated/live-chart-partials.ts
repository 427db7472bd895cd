// Generated from docs/schemas/live-chart-partials.schema.json by ui/codegen/generate.mjs (npm run generate); do not edit.

/**
 * Kafka record on the live topic (key ``REGION|window``): the candidates of some partitions.
 */
export interface ChartPartials {
  /**
   * ISO 8601 in UTC with a Z suffix (topsongs_core.timefmt.iso_z).
   */
  generated_at: string;
  kind: "chart-partials";
  /**
   * How many partitions the plays topic has.
   */
  partitions: number;
  /**
   * Per plays partition (its number as a string): only those this record updates.
   */
  parts: {
    [k: string]: PartitionCandidates;
  };
  /**
   * Region code (TOPSONGS_REGIONS).
   */
  region: string;
  /**
   * Chart window (LIVE_ROLLING_MINUTES + hour).
   */
  window: string;
  /**
   * ISO 8601 in UTC with a Z suffix (topsongs_core.timefmt.iso_z).
   */
  window_end: string;
  /**
   * ISO 8601 in UTC with a Z suffix (topsongs_core.timefmt.iso_z).
   */
  window_start: string;
}
/**
 * A plays partition's share of one (region, window): its late drops and top-N candidates.
 *
 * This interface was referenced by `ChartPartials`'s JSON-Schema
 * via the `definition` "PartitionCandidates".
 */
export interface PartitionCandidates {
  /**
   * Plays this partition counted in the region since its previous record of the region (any window); the same in every window's record of one publish.
   */
  accepted_plays: number;
  /**
   * plays desc, then song_id asc; at most LIVE_TOP_N
   */
  entries: Candidate[];
  late_dropped: number;
  /**
   * Kafka timestamp (ingest's send of the accepted play) of the newest play this partition counted in the region since its previous record of the region; null when it counted none since. The same in every window's record of one publish.
   */
  newest_accepted_at: string | null;
  /**
   * Event time of the newest play this partition counted in the region (any window); null when none since the worker started.
   */
  newest_play_at: string | null;
  /**
   * Plays this partition counted in the window, all songs.
   */
  plays: number;
}
/**
 * One song of a partition's top N: plays counted in this window by that partition alone.
 *
 * This interface was referenced by `ChartPartials`'s JSON-Schema
 * via the `definition` "Candidate".
 */
export interface Candidate {
  artist: string;
  plays: number;
  song_id: string;
  title: string;
}
