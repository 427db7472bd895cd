// Generated from docs/openapi/dashboard-api.json by ui/codegen/generate.mjs (npm run generate); do not edit.
export interface paths {
    "/healthz": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Healthz
         * @description The process is alive.
         */
        get: operations["healthz_healthz_get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/readyz": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Readyz
         * @description 200 while PostgreSQL answers (history serves), whatever Kafka does; the body tells each part.
         */
        get: operations["readyz_readyz_get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/auth/config": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Auth Config
         * @description Sign-in settings of this deployment; open to anyone, since the UI reads it before signing in.
         */
        get: operations["auth_config_api_auth_config_get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/live": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Live Snapshot
         * @description The current snapshot of one (region, window) chart, as the WebSocket's first message.
         */
        get: operations["live_snapshot_api_live_get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/regions": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Regions
         * @description Regions the charts cover.
         */
        get: operations["regions_api_regions_get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/top/hourly": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Top Hourly
         * @description The authoritative top songs of one region and UTC hour (empty until its load ran).
         */
        get: operations["top_hourly_api_top_hourly_get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/top/daily": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Top Daily
         * @description The authoritative top songs of one region and UTC day (empty until its load ran).
         */
        get: operations["top_daily_api_top_daily_get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/trend": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Trend
         * @description Plays per hour of one song in ``[from, to)``, one point per hour: 0 when a computed hour has
         *     none, null while the hour is open or pending.
         */
        get: operations["trend_api_trend_get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/reconciliation": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Reconciliation
         * @description Live against batch per hour of one region and UTC day: agree, explained, unexplained or pending.
         *
         *     ``live`` says ``unavailable`` while the live-hours topic cannot be read (Kafka down, or not read
         *     to its end yet): hours whose live finals were not read before are ``pending``.
         */
        get: operations["reconciliation_api_reconciliation_get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/metrics": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Metrics
         * @description Prometheus metrics: the reconciliation drift gauges, the history cache's counters and the live
         *     push latency, every worker's merged when several share a multiprocess folder.
         */
        get: operations["metrics_metrics_get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/pipeline": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Pipeline
         * @description Each stage's rate, lag, freshness and health, and the alerts pending or firing, from Prometheus.
         *
         *     When Prometheus does not answer, ``prometheus.status`` is ``down`` (``detail`` says why) and every
         *     stage's health is ``unknown``.
         */
        get: operations["pipeline_api_pipeline_get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/pipeline/series": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Series
         * @description One allow-listed query over the last 15 minutes (a point every 15 s).
         */
        get: operations["series_api_pipeline_series_get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
}
export type webhooks = Record<string, never>;
export interface components {
    schemas: {
        /**
         * Alert
         * @description An alerting rule pending or firing now (deploy/prometheus/alerts.yml).
         */
        Alert: {
            /** Name */
            name: string;
            /**
             * State
             * @enum {string}
             */
            state: "pending" | "firing";
            /** Severity */
            severity: string | null;
            /** Summary */
            summary: string | null;
            /** Active At */
            active_at: string | null;
        };
        /**
         * AuthConfig
         * @description What the UI needs for the authorization-code flow with PKCE (nothing secret: a public client).
         */
        AuthConfig: {
            /**
             * Enabled
             * @description False: no sign-in, every route answers without a token
             */
            enabled: boolean;
            /**
             * Issuer
             * @description The OpenID Connect provider (its discovery document is under it)
             */
            issuer: string;
            /** Client Id */
            client_id: string;
            /**
             * Scopes
             * @description Space-separated scopes the UI asks for
             */
            scopes: string;
            /**
             * Operator Role
             * @description Role the operator pages need ('' when any user may see them)
             */
            operator_role: string;
        };
        /**
         * ChartEntry
         * @description One song's place in a chart.
         */
        ChartEntry: {
            /** Rank */
            rank: number;
            /** Song Id */
            song_id: string;
            /** Title */
            title: string;
            /** Artist */
            artist: string;
            /** Plays */
            plays: number;
        };
        /**
         * DailyChart
         * @description The top songs of one region on one UTC day.
         */
        DailyChart: {
            /**
             * Status
             * @description open: the interval has not ended (a daily chart shows the day so far, from its hours loaded until now); pending: it has, but the lake is not complete for it yet (no chart computed, or a daily chart of the hours so far); final: computed once the lake held every play Kafka had at the deadline; restated: recomputed since, because late plays arrived
             * @enum {string}
             */
            status: "open" | "pending" | "final" | "restated";
            /**
             * As Of
             * @description When the chart was last computed (null: never)
             */
            as_of: string | null;
            /**
             * Restatements
             * @description Recomputations that changed this region's plays
             */
            restatements: number;
            /**
             * Late Plays
             * @description Plays added after the first final chart
             */
            late_plays: number;
            /** Region */
            region: string;
            /**
             * Date
             * Format: date
             */
            date: string;
            /** Entries */
            entries: components["schemas"]["ChartEntry"][];
        };
        /**
         * FieldError
         * @description One invalid parameter.
         */
        FieldError: {
            /**
             * Loc
             * @description Where: ["query", "<parameter name>"]
             * @example [
             *       "query",
             *       "region"
             *     ]
             */
            loc: (string | number)[];
            /** Msg */
            msg: string;
            /** Type */
            type: string;
            /** Input */
            input?: unknown;
        };
        /**
         * Freshness
         * @description How fresh one of the monitor's stages is: its newest play's age, and when it last moved.
         */
        Freshness: {
            /**
             * Stage
             * @description ingest, live, lake, hourly or daily (docs/observability.md)
             */
            stage: string;
            /**
             * Newest Seconds
             * @description Age of the newest play the stage holds (hourly, daily: the end of the newest final chart), s; null when not measured
             */
            newest_seconds: number | null;
            /**
             * Last Success Seconds
             * @description Since the stage last moved its newest play forward (hourly, daily: since that chart was loaded), s. Both large: idle; only newest_seconds large: stuck
             */
            last_success_seconds: number | null;
        };
        /**
         * Health
         * @description The process is alive.
         */
        Health: {
            /**
             * Status
             * @constant
             */
            status: "ok";
        };
        /**
         * HistoryBusyProblem
         * @description 503 of the history endpoints while PostgreSQL's sessions are all taken, or the query timed out.
         */
        HistoryBusyProblem: {
            /** Detail */
            detail: string;
        };
        /**
         * HourReconciliation
         * @description Live against batch for one UTC hour; the numbers are null while either side is not final.
         */
        HourReconciliation: {
            /**
             * Hour
             * Format: date-time
             */
            hour: string;
            /**
             * Status
             * @enum {string}
             */
            status: "agree" | "explained" | "unexplained" | "pending";
            /** Live Plays */
            live_plays: number | null;
            /** Batch Plays */
            batch_plays: number | null;
            /** Difference */
            difference: number | null;
            /** Late Dropped */
            late_dropped: number | null;
            /** Unexplained */
            unexplained: number | null;
            /** Live Top */
            live_top: components["schemas"]["TopEntry"][];
            /** Batch Top */
            batch_top: components["schemas"]["TopEntry"][];
        };
        /**
         * HourlyChart
         * @description The top songs of one region in one UTC hour.
         */
        HourlyChart: {
            /**
             * Status
             * @description open: the interval has not ended (a daily chart shows the day so far, from its hours loaded until now); pending: it has, but the lake is not complete for it yet (no chart computed, or a daily chart of the hours so far); final: computed once the lake held every play Kafka had at the deadline; restated: recomputed since, because late plays arrived
             * @enum {string}
             */
            status: "open" | "pending" | "final" | "restated";
            /**
             * As Of
             * @description When the chart was last computed (null: never)
             */
            as_of: string | null;
            /**
             * Restatements
             * @description Recomputations that changed this region's plays
             */
            restatements: number;
            /**
             * Late Plays
             * @description Plays added after the first final chart
             */
            late_plays: number;
            /** Region */
            region: string;
            /**
             * Hour
             * Format: date-time
             */
            hour: string;
            /** Entries */
            entries: components["schemas"]["ChartEntry"][];
        };
        /**
         * LiveEntry
         * @description One row of a live chart: rank, song, plays and how it moved since the previous frame.
         */
        LiveEntry: {
            /** Rank */
            rank: number;
            /** Song Id */
            song_id: string;
            /** Title */
            title: string;
            /** Artist */
            artist: string;
            /** Plays */
            plays: number;
            /**
             * Prev Rank
             * @description Rank in the previous frame; null when new.
             */
            prev_rank: number | null;
            /**
             * Movement
             * @enum {string}
             */
            movement: "new" | "up" | "down" | "same";
        };
        /**
         * LiveOffline
         * @description 503 of the live endpoints while the live topic cannot be read; history answers meanwhile.
         */
        LiveOffline: {
            /** Detail */
            detail: string;
            /**
             * Live
             * @default offline
             * @constant
             */
            live: "offline";
        };
        /**
         * LiveSnapshot
         * @description First WebSocket frame (and ``GET /api/live``): the current chart.
         */
        LiveSnapshot: {
            /**
             * Type
             * @default snapshot
             * @constant
             */
            type: "snapshot";
            /**
             * Seq
             * @description Grows by exactly 1 per update of this (region, window).
             */
            seq: number;
            /**
             * Region
             * @description Region code (TOPSONGS_REGIONS).
             * @example US
             */
            region: string;
            /**
             * Window
             * @description Chart window (LIVE_ROLLING_MINUTES + hour).
             * @example 5m
             */
            window: string;
            /**
             * Window Start
             * @description ISO 8601 in UTC with a Z suffix (topsongs_core.timefmt.iso_z).
             * @example 2025-04-23T14:29:00Z
             */
            window_start: string;
            /**
             * Window End
             * @description ISO 8601 in UTC with a Z suffix (topsongs_core.timefmt.iso_z).
             * @example 2025-04-23T14:29:00Z
             */
            window_end: string;
            /**
             * Late Dropped
             * @description Plays of the window dropped as later than allowed.
             */
            late_dropped: number;
            /**
             * Plays
             * @description Plays counted in the window, all songs (plays/s: over its length).
             */
            plays: number;
            /**
             * Newest Play At
             * @description Event time of the newest counted play of the region; null when none since the workers started. Its age tells whether the live worker keeps up.
             */
            newest_play_at: string | null;
            /**
             * Generated At
             * @description ISO 8601 in UTC with a Z suffix (topsongs_core.timefmt.iso_z).
             * @example 2025-04-23T14:29:00Z
             */
            generated_at: string;
            /**
             * Entries
             * @description The exact top N: plays desc, then song_id asc.
             */
            entries: components["schemas"]["LiveEntry"][];
        };
        /**
         * Pipeline
         * @description The flow ingest → Kafka → live / lake → Airflow → PostgreSQL → API, and firing alerts.
         */
        Pipeline: {
            prometheus: components["schemas"]["PrometheusState"];
            /** Stages */
            stages: components["schemas"]["StageView"][];
            /** Alerts */
            alerts: components["schemas"]["Alert"][];
            /**
             * As Of
             * Format: date-time
             */
            as_of: string;
        };
        /**
         * PrometheusState
         * @description Whether the page's source answers.
         */
        PrometheusState: {
            /**
             * Status
             * @enum {string}
             */
            status: "up" | "down";
            /**
             * Detail
             * @description Why it is down (null when up)
             */
            detail: string | null;
        };
        /**
         * Readiness
         * @description Each part on its own: history serves whatever Kafka does, the live part reconnects by itself.
         */
        Readiness: {
            /**
             * History
             * @enum {string}
             */
            history: "ready" | "unavailable";
            /**
             * Live
             * @enum {string}
             */
            live: "online" | "offline";
            /**
             * Reconciliation Live
             * @enum {string}
             */
            reconciliation_live: "available" | "unavailable";
        };
        /**
         * Reconciliation
         * @description The 24 hours of one region and UTC day; ``unexplained`` sums the hours' absolute drift (plays).
         */
        Reconciliation: {
            /** Region */
            region: string;
            /**
             * Date
             * Format: date
             */
            date: string;
            /**
             * Live
             * @description unavailable: the live-hours topic cannot be read now (Kafka down, or not read to its end yet); hours whose live finals were not read before are pending
             * @enum {string}
             */
            live: "available" | "unavailable";
            /** Unexplained */
            unexplained: number;
            /** Hours */
            hours: components["schemas"]["HourReconciliation"][];
        };
        /**
         * Refused
         * @description 401 (no valid token) or 403 (signed in without the operator role), only while sign-in is on.
         */
        Refused: {
            /** Detail */
            detail: string;
        };
        /**
         * Regions
         * @description Regions the charts cover.
         */
        Regions: {
            /** Regions */
            regions: string[];
        };
        /**
         * Series
         * @description One allow-listed query over the last minutes: ``[unix seconds, value]`` pairs.
         */
        Series: {
            /** Name */
            name: string;
            /** Step Seconds */
            step_seconds: number;
            /** Points */
            points: [
                number,
                number
            ][];
            prometheus: components["schemas"]["PrometheusState"];
        };
        /**
         * StageView
         * @description One stage of the flow; a figure is null when Prometheus has no series for it.
         */
        StageView: {
            /**
             * Id
             * @description ingest, kafka, live, lake, airflow, postgres or api
             */
            id: string;
            /** Title */
            title: string;
            /**
             * Health
             * @description up: its scrape target answers (and its own check passes); down: it does not, or it was scraped within 15 minutes and is no more; unknown: Prometheus has not scraped such a target for 15 minutes, or Prometheus itself is down
             * @enum {string}
             */
            health: "up" | "down" | "unknown";
            /**
             * Job
             * @description The Prometheus scrape job that tells whether it runs
             */
            job: string;
            /**
             * Rate
             * @description Throughput, in rate_unit
             */
            rate: number | null;
            /** Rate Unit */
            rate_unit: string;
            /**
             * Lag Records
             * @description Records not processed yet (consumers only)
             */
            lag_records: number | null;
            /**
             * Lag Seconds
             * @description Age of the oldest record not processed yet, s
             */
            lag_seconds: number | null;
            /**
             * Freshness Seconds
             * @description Age of the newest lag measurement, s
             */
            freshness_seconds: number | null;
            /**
             * Push Latency Seconds
             * @description 95th percentile over 5 min of a play's way from ingest's send to a pushed live update (dashboard_live_push_latency_seconds), s (the API only)
             */
            push_latency_seconds: number | null;
            /**
             * Freshness
             * @description Event-time freshness of what this stage produces
             */
            freshness: components["schemas"]["Freshness"][];
            /**
             * Series
             * @description Names /api/pipeline/series accepts for this stage
             */
            series: string[];
        };
        /**
         * TopEntry
         * @description One song of a top-N list.
         */
        TopEntry: {
            /** Song Id */
            song_id: string;
            /** Plays */
            plays: number;
        };
        /**
         * Trend
         * @description Plays per hour of one song in one region.
         */
        Trend: {
            /** Region */
            region: string;
            /** Song Id */
            song_id: string;
            /** Points */
            points: components["schemas"]["TrendPoint"][];
        };
        /**
         * TrendPoint
         * @description Plays of a song in one hour (null while the hour's chart is open or pending).
         */
        TrendPoint: {
            /**
             * Hour
             * Format: date-time
             */
            hour: string;
            /** Plays */
            plays: number | null;
            /**
             * Status
             * @enum {string}
             */
            status: "open" | "pending" | "final" | "restated";
        };
        /**
         * ValidationProblem
         * @description 422: the request's parameters, each bad one named in ``detail[].loc``.
         */
        ValidationProblem: {
            /** Detail */
            detail: components["schemas"]["FieldError"][];
        };
    };
    responses: never;
    parameters: never;
    requestBodies: never;
    headers: never;
    pathItems: never;
}
export type $defs = Record<string, never>;
export interface operations {
    healthz_healthz_get: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Health"];
                };
            };
        };
    };
    readyz_readyz_get: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Readiness"];
                };
            };
            /** @description PostgreSQL does not answer: history is unavailable */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Readiness"];
                };
            };
        };
    };
    auth_config_api_auth_config_get: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["AuthConfig"];
                };
            };
        };
    };
    live_snapshot_api_live_get: {
        parameters: {
            query: {
                /** @description Region code, one of GET /api/regions */
                region: "US" | "GB" | "DE" | "FR" | "BR" | "MX" | "JP" | "KR" | "IN" | "AU";
                /** @description Chart window, one of the live windows */
                window: "5m" | "60m" | "hour";
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["LiveSnapshot"];
                };
            };
            /** @description Sign-in is on and the request has no valid bearer token */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Refused"];
                };
            };
            /** @description A query parameter is missing or invalid; `detail[].loc` names it */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ValidationProblem"];
                };
            };
            /** @description The live feed is offline (Kafka unreachable); retry after `Retry-After` seconds */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["LiveOffline"];
                };
            };
        };
    };
    regions_api_regions_get: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Regions"];
                };
            };
            /** @description Sign-in is on and the request has no valid bearer token */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Refused"];
                };
            };
        };
    };
    top_hourly_api_top_hourly_get: {
        parameters: {
            query: {
                /** @description Start of an hour, ISO 8601 (UTC unless an offset says otherwise) */
                hour: string;
                /** @description Region code, one of GET /api/regions */
                region: "US" | "GB" | "DE" | "FR" | "BR" | "MX" | "JP" | "KR" | "IN" | "AU";
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["HourlyChart"];
                };
            };
            /** @description Sign-in is on and the request has no valid bearer token */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Refused"];
                };
            };
            /** @description A query parameter is missing or invalid; `detail[].loc` names it */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ValidationProblem"];
                };
            };
            /** @description PostgreSQL had no session free in time or the query ran too long; retry after `Retry-After` seconds */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["HistoryBusyProblem"];
                };
            };
        };
    };
    top_daily_api_top_daily_get: {
        parameters: {
            query: {
                /** @description UTC day (1900-2199) */
                date: string;
                /** @description Region code, one of GET /api/regions */
                region: "US" | "GB" | "DE" | "FR" | "BR" | "MX" | "JP" | "KR" | "IN" | "AU";
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["DailyChart"];
                };
            };
            /** @description Sign-in is on and the request has no valid bearer token */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Refused"];
                };
            };
            /** @description A query parameter is missing or invalid; `detail[].loc` names it */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ValidationProblem"];
                };
            };
            /** @description PostgreSQL had no session free in time or the query ran too long; retry after `Retry-After` seconds */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["HistoryBusyProblem"];
                };
            };
        };
    };
    trend_api_trend_get: {
        parameters: {
            query: {
                song_id: string;
                /** @description Region code, one of GET /api/regions */
                region: "US" | "GB" | "DE" | "FR" | "BR" | "MX" | "JP" | "KR" | "IN" | "AU";
                /** @description Inclusive start, rounded down to its hour */
                from: string;
                /** @description Exclusive end, rounded up to its hour: after `from`, at most 366 days later (else 422 naming `to`) */
                to: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Trend"];
                };
            };
            /** @description Sign-in is on and the request has no valid bearer token */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Refused"];
                };
            };
            /** @description A query parameter is missing or invalid; `detail[].loc` names it */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ValidationProblem"];
                };
            };
            /** @description PostgreSQL had no session free in time or the query ran too long; retry after `Retry-After` seconds */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["HistoryBusyProblem"];
                };
            };
        };
    };
    reconciliation_api_reconciliation_get: {
        parameters: {
            query: {
                /** @description UTC day (1900-2199) */
                date: string;
                /** @description Region code, one of GET /api/regions */
                region: "US" | "GB" | "DE" | "FR" | "BR" | "MX" | "JP" | "KR" | "IN" | "AU";
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Reconciliation"];
                };
            };
            /** @description Sign-in is on and the request has no valid bearer token */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Refused"];
                };
            };
            /** @description Sign-in is on and the user lacks the operator role */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Refused"];
                };
            };
            /** @description A query parameter is missing or invalid; `detail[].loc` names it */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ValidationProblem"];
                };
            };
        };
    };
    metrics_metrics_get: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Prometheus text */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "text/plain; version=0.0.4": string;
                };
            };
        };
    };
    pipeline_api_pipeline_get: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Pipeline"];
                };
            };
            /** @description Sign-in is on and the request has no valid bearer token */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Refused"];
                };
            };
            /** @description Sign-in is on and the user lacks the operator role */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Refused"];
                };
            };
        };
    };
    series_api_pipeline_series_get: {
        parameters: {
            query: {
                /** @description One of the allow-listed queries (a stage's `series`); PromQL is never accepted */
                name: "airflow_rate" | "api_freshness_seconds" | "api_lag_records" | "api_lag_seconds" | "daily_last_success_seconds" | "daily_newest_seconds" | "dead_letter_rate" | "hourly_last_success_seconds" | "hourly_newest_seconds" | "ingest_last_success_seconds" | "ingest_newest_seconds" | "ingest_rate" | "ingest_rejected_rate" | "kafka_rate" | "lake_freshness_seconds" | "lake_lag_records" | "lake_lag_seconds" | "lake_last_success_seconds" | "lake_newest_seconds" | "lake_rate" | "live_freshness_seconds" | "live_lag_records" | "live_lag_seconds" | "live_last_success_seconds" | "live_newest_seconds" | "live_rate" | "postgres_rate" | "push_latency_p95";
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Series"];
                };
            };
            /** @description Sign-in is on and the request has no valid bearer token */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Refused"];
                };
            };
            /** @description Sign-in is on and the user lacks the operator role */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Refused"];
                };
            };
            /** @description A query parameter is missing or invalid; `detail[].loc` names it */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ValidationProblem"];
                };
            };
        };
    };
}
