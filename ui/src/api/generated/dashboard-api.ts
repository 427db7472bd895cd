// Generated from docs/openapi/dashboard-api.json by ui/codegen/generate.mjs (npm run generate); do not edit.
export interface paths {
    "/api/live": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Live Snapshot
         * @description The current snapshot of one (region, window) chart.
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
}
export type webhooks = Record<string, never>;
export interface components {
    schemas: {
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
             * @description open: the interval has not ended; pending: it has, but the lake is not complete for it yet (no chart computed); final: computed once the lake held every play Kafka had at the deadline; restated: recomputed since, because late plays arrived
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
        /** HTTPValidationError */
        HTTPValidationError: {
            /** Detail */
            detail?: components["schemas"]["ValidationError"][];
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
             * @description open: the interval has not ended; pending: it has, but the lake is not complete for it yet (no chart computed); final: computed once the lake held every play Kafka had at the deadline; restated: recomputed since, because late plays arrived
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
            /** Unexplained */
            unexplained: number;
            /** Hours */
            hours: components["schemas"]["HourReconciliation"][];
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
        /** ValidationError */
        ValidationError: {
            /** Location */
            loc: (string | number)[];
            /** Message */
            msg: string;
            /** Error Type */
            type: string;
            /** Input */
            input?: unknown;
            /** Context */
            ctx?: Record<string, never>;
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
    live_snapshot_api_live_get: {
        parameters: {
            query?: {
                region?: string | null;
                window?: string | null;
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
                    "application/json": {
                        [key: string]: unknown;
                    };
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["HTTPValidationError"];
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
        };
    };
    top_hourly_api_top_hourly_get: {
        parameters: {
            query: {
                /** @description Start of a UTC hour, ISO 8601 */
                hour: string;
                /** @description Region code, one of GET /api/regions */
                region: string;
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
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["HTTPValidationError"];
                };
            };
        };
    };
    top_daily_api_top_daily_get: {
        parameters: {
            query: {
                /** @description UTC day */
                date: string;
                /** @description Region code, one of GET /api/regions */
                region: string;
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
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["HTTPValidationError"];
                };
            };
        };
    };
    trend_api_trend_get: {
        parameters: {
            query: {
                song_id: string;
                /** @description Region code, one of GET /api/regions */
                region: string;
                /** @description Inclusive start (UTC) */
                from: string;
                /** @description Exclusive end (UTC) */
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
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["HTTPValidationError"];
                };
            };
        };
    };
    reconciliation_api_reconciliation_get: {
        parameters: {
            query: {
                /** @description UTC day */
                date: string;
                /** @description Region code, one of GET /api/regions */
                region: string;
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
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["HTTPValidationError"];
                };
            };
        };
    };
}
