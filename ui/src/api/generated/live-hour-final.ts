// Generated from docs/schemas/live-hour-final.schema.json by ui/codegen/generate.mjs (npm run generate); do not edit.

/**
 * Kafka record on the live-hours topic (key ``REGION|hour|partition``): a closed hour's final count.
 */
export interface HourFinal {
  /**
   * ISO 8601 in UTC with a Z suffix (topsongs_core.timefmt.iso_z).
   */
  generated_at: string;
  /**
   * Start of the UTC hour.
   */
  hour: string;
  kind: "hour-final";
  late_dropped: number;
  /**
   * The plays partition counted.
   */
  partition: number;
  /**
   * How many partitions the plays topic has.
   */
  partitions: number;
  plays: number;
  /**
   * Region code (TOPSONGS_REGIONS).
   */
  region: string;
  /**
   * This partition's top N (plays desc, then song_id asc)
   */
  top: SongPlays[];
}
/**
 * One song of an hour's top N and its plays.
 *
 * This interface was referenced by `HourFinal`'s JSON-Schema
 * via the `definition` "SongPlays".
 */
export interface SongPlays {
  plays: number;
  song_id: string;
}
