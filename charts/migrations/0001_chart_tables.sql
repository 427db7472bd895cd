-- Chart tables written by the batch DAGs and read by dashboard-api.
-- The seed's columns (region, timestamp/date, song, plays) are kept; rank, song_id, artist are added.

CREATE TABLE top_songs_hourly (
    region      text        NOT NULL,
    "timestamp" timestamptz NOT NULL,
    song        text        NOT NULL,
    plays       bigint      NOT NULL CHECK (plays > 0),
    rank        integer     NOT NULL CHECK (rank >= 1),
    song_id     text        NOT NULL,
    artist      text        NOT NULL,
    genre       text,
    loaded_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (region, "timestamp", rank),
    UNIQUE (region, "timestamp", song_id)
);
-- Reloads delete one hour across regions.
CREATE INDEX top_songs_hourly_timestamp_idx ON top_songs_hourly ("timestamp");

CREATE TABLE top_songs_daily (
    region    text        NOT NULL,
    date      date        NOT NULL,
    song      text        NOT NULL,
    plays     bigint      NOT NULL CHECK (plays > 0),
    rank      integer     NOT NULL CHECK (rank >= 1),
    song_id   text        NOT NULL,
    artist    text        NOT NULL,
    genre     text,
    loaded_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (region, date, rank),
    UNIQUE (region, date, song_id)
);
CREATE INDEX top_songs_daily_date_idx ON top_songs_daily (date);

-- Every song's plays per region and hour: feeds /api/trend and the hourly-vs-daily check.
CREATE TABLE plays_hourly (
    region    text        NOT NULL,
    hour      timestamptz NOT NULL,
    song_id   text        NOT NULL,
    plays     bigint      NOT NULL CHECK (plays > 0),
    PRIMARY KEY (region, song_id, hour)
);
CREATE INDEX plays_hourly_hour_idx ON plays_hourly (hour);

-- One row per loaded interval: the daily load waits for all 24 hourly ones.
CREATE TABLE chart_loads (
    kind           text        NOT NULL CHECK (kind IN ('hourly', 'daily')),
    interval_start timestamptz NOT NULL,
    interval_end   timestamptz NOT NULL,
    plays          bigint      NOT NULL,
    regions        integer     NOT NULL,
    loaded_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (kind, interval_start)
);
