-- One event_id is one play: the hour of its first copy to arrive in the lake (docs/api.md).
-- `dataset` is the raw plays path, so datasets sharing a database keep their own claims.
CREATE TABLE play_claims (
    dataset  text        NOT NULL,
    event_id text        NOT NULL,
    hour     timestamptz NOT NULL,
    PRIMARY KEY (dataset, event_id)
);
CREATE INDEX play_claims_hour_idx ON play_claims (dataset, hour);

-- The raw files whose event_ids are claimed, by hour: an hour's ETL reads only these.
CREATE TABLE claimed_files (
    dataset    text        NOT NULL,
    key        text        NOT NULL,
    hour       timestamptz NOT NULL,
    claimed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (dataset, key)
);
CREATE INDEX claimed_files_hour_idx ON claimed_files (dataset, hour);
