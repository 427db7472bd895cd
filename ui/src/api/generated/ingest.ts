// Generated from docs/openapi/ingest.json by ui/codegen/generate.mjs (npm run generate); do not edit.
export interface paths {
    "/play": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Post Play
         * @description Accept one play; 202 means it is durably in Kafka.
         */
        post: operations["post_play_play_post"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/plays": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Post Plays
         * @description Accept a batch atomically: all valid → all published; any invalid → 422, nothing published.
         */
        post: operations["post_plays_plays_post"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/schema/play-event.json": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Play Event Schema
         * @description The JSON Schema of the play-event contract.
         */
        get: operations["play_event_schema_schema_play_event_json_get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
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
         * @description Ready when the Kafka broker answers a metadata request within 1 s.
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
    "/metrics": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Metrics
         * @description Prometheus exposition.
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
}
export type webhooks = Record<string, never>;
export interface components {
    schemas: {
        /**
         * Accepted
         * @description Answer to `POST /play`.
         */
        Accepted: {
            /** Event Id */
            event_id: string;
        };
        /**
         * AcceptedBatch
         * @description Answer to `POST /plays`, ids in request order.
         */
        AcceptedBatch: {
            /** Event Ids */
            event_ids: string[];
        };
        /**
         * FieldError
         * @description One invalid part of the body; ``loc`` names it (``["body", "events", 3, "region"]``).
         */
        FieldError: {
            /** Type */
            type: string;
            /** Loc */
            loc: (string | number)[];
            /** Msg */
            msg: string;
            /** Input */
            input?: unknown;
        };
        /**
         * InvalidRequest
         * @description A body that is not valid JSON or breaks the contract: every error, each naming its field.
         */
        InvalidRequest: {
            /** Detail */
            detail: components["schemas"]["FieldError"][];
        };
        /**
         * Problem
         * @description A refused request: what is wrong, in words.
         */
        Problem: {
            /** Detail */
            detail: string;
        };
        /**
         * Readiness
         * @description Whether the Kafka broker answers.
         */
        Readiness: {
            /**
             * Kafka
             * @enum {string}
             */
            kafka: "ok" | "unreachable";
        };
        /**
         * Unacknowledged
         * @description Kafka did not acknowledge in time: the request's events may or may not be stored.
         */
        Unacknowledged: {
            /** Detail */
            detail: string;
            /**
             * Event Ids
             * @description The ids of the request's events, in request order: resend them with these ids
             */
            event_ids: string[];
        };
        /**
         * PlayEvent
         * @description One song play, as sent by a client and as stored in Kafka and the lake.
         */
        PlayEvent: {
            /**
             * Event Id
             * Format: uuid
             * @description Idempotency key; assigned by ingest when the client sends none.
             */
            event_id?: string;
            /**
             * Song Id
             * @description Surrounding whitespace is stripped; 1 to 128 characters must remain. No control character (U+0000-U+001F, U+007F-U+009F).
             */
            song_id: string;
            /**
             * Title
             * @description Surrounding whitespace is stripped; 1 to 256 characters must remain. No control character (U+0000-U+001F, U+007F-U+009F).
             */
            title: string;
            /**
             * Artist
             * @description Surrounding whitespace is stripped; 1 to 256 characters must remain. No control character (U+0000-U+001F, U+007F-U+009F).
             */
            artist: string;
            /**
             * User Id
             * @description Surrounding whitespace is stripped; 1 to 128 characters must remain. No control character (U+0000-U+001F, U+007F-U+009F).
             */
            user_id: string;
            /**
             * Region
             * @description Region code from the configured set (TOPSONGS_REGIONS).
             * @enum {string}
             */
            region: "US" | "GB" | "DE" | "FR" | "BR" | "MX" | "JP" | "KR" | "IN" | "AU";
            /**
             * Played At
             * Format: date-time
             * @description Event time, ISO 8601 with offset; stored as UTC.
             */
            played_at: string;
            /**
             * Ms Played
             * @default null
             */
            ms_played: number | null;
            /**
             * Device
             * @description No control character (U+0000-U+001F, U+007F-U+009F).
             * @default null
             */
            device: string | null;
            /**
             * Schema Version
             * @default 1
             * @constant
             */
            schema_version: 1;
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
    post_play_play_post: {
        parameters: {
            query?: never;
            header?: {
                /** @description A value unique to this request (a UUID), sent again unchanged with the same body on every retry. Events without an `event_id` then get ids derived from the key, the caller's API key name, their index and their content, so a resend gets the same ids. */
                "Idempotency-Key"?: string | null;
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["PlayEvent"];
            };
        };
        responses: {
            /** @description Kafka acknowledged the event */
            202: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Accepted"];
                };
            };
            /** @description The client disconnected before the body was complete */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
            /** @description The body exceeds 2097152 bytes (INGEST_MAX_BODY_BYTES) */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
            /** @description Content-Type is not application/json */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
            /** @description Malformed JSON or an invalid event; `detail[].loc` names the field */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["InvalidRequest"];
                };
            };
            /** @description This client sent more than 100000 events/s (INGEST_RATE_LIMIT_EVENTS_PER_S, bursts of 100000: INGEST_RATE_LIMIT_BURST); nothing of the request was published: retry after `Retry-After` seconds */
            429: {
                headers: {
                    /** @description Seconds until the client's limit lets the request through */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
            /** @description Kafka did not acknowledge within 5 s (INGEST_PRODUCE_TIMEOUT_S); the events may still be stored: retry after `Retry-After` seconds with the `event_ids` of this answer (or the same body and `Idempotency-Key`) */
            503: {
                headers: {
                    /** @description Seconds to wait before retrying (INGEST_RETRY_AFTER_S) */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Unacknowledged"];
                };
            };
        };
    };
    post_plays_plays_post: {
        parameters: {
            query?: never;
            header?: {
                /** @description A value unique to this request (a UUID), sent again unchanged with the same body on every retry. Events without an `event_id` then get ids derived from the key, the caller's API key name, their index and their content, so a resend gets the same ids. */
                "Idempotency-Key"?: string | null;
            };
            path?: never;
            cookie?: never;
        };
        /** @description At most 2097152 bytes (INGEST_MAX_BODY_BYTES). */
        requestBody: {
            content: {
                "application/json": {
                    events: components["schemas"]["PlayEvent"][];
                };
            };
        };
        responses: {
            /** @description Kafka acknowledged every event */
            202: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["AcceptedBatch"];
                };
            };
            /** @description The client disconnected before the body was complete */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
            /** @description The body exceeds 2097152 bytes (INGEST_MAX_BODY_BYTES), or holds more than 1000 events (INGEST_MAX_BATCH_EVENTS) */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
            /** @description Content-Type is not application/json */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
            /** @description Malformed JSON or an invalid event; `detail[].loc` names the field and the batch index; nothing of the batch is published */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["InvalidRequest"];
                };
            };
            /** @description This client sent more than 100000 events/s (INGEST_RATE_LIMIT_EVENTS_PER_S, bursts of 100000: INGEST_RATE_LIMIT_BURST); nothing of the request was published: retry after `Retry-After` seconds */
            429: {
                headers: {
                    /** @description Seconds until the client's limit lets the request through */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
            /** @description Kafka did not acknowledge within 5 s (INGEST_PRODUCE_TIMEOUT_S); the events may still be stored: retry after `Retry-After` seconds with the `event_ids` of this answer (or the same body and `Idempotency-Key`) */
            503: {
                headers: {
                    /** @description Seconds to wait before retrying (INGEST_RETRY_AFTER_S) */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Unacknowledged"];
                };
            };
        };
    };
    play_event_schema_schema_play_event_json_get: {
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
                    "application/json": {
                        [key: string]: unknown;
                    };
                };
            };
        };
    };
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
                    "application/json": {
                        [key: string]: string;
                    };
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
            /** @description Kafka did not answer within 1 s */
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
    metrics_metrics_get: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Prometheus text exposition format 0.0.4 */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "text/plain; version=0.0.4; charset=utf-8": string;
                };
            };
        };
    };
}
