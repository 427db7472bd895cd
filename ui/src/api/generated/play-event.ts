// Generated from docs/play-event.schema.json by ui/codegen/generate.mjs (npm run generate); do not edit.

export type Artist = string;
export type Device = string | null;
/**
 * Idempotency key; assigned by ingest when the client sends none.
 */
export type EventId = string;
export type MsPlayed = number | null;
/**
 * Event time, ISO 8601 with offset; stored as UTC.
 */
export type PlayedAt = string;
/**
 * Region code from the configured set (TOPSONGS_REGIONS).
 */
export type Region = string;
export type SchemaVersion = 1;
export type SongId = string;
export type Title = string;
export type UserId = string;

/**
 * One song play, as sent by a client and as stored in Kafka and the lake.
 */
export interface PlayEvent {
  artist: Artist;
  device?: Device;
  event_id?: EventId;
  ms_played?: MsPlayed;
  played_at: PlayedAt;
  region: Region;
  schema_version?: SchemaVersion;
  song_id: SongId;
  title: Title;
  user_id: UserId;
}
