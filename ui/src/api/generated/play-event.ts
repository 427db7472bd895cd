// Generated from docs/play-event.schema.json by ui/codegen/generate.mjs (npm run generate); do not edit.

/**
 * One song play, as sent by a client and as stored in Kafka and the lake.
 */
export interface PlayEvent {
  artist: string;
  device?: string | null;
  /**
   * Idempotency key; assigned by ingest when the client sends none.
   */
  event_id?: string;
  ms_played?: number | null;
  /**
   * Event time, ISO 8601 with offset; stored as UTC.
   */
  played_at: string;
  /**
   * Region code from the configured set (TOPSONGS_REGIONS).
   */
  region: string;
  schema_version?: 1;
  song_id: string;
  title: string;
  user_id: string;
}
