-- How final each loaded chart is: first load, restatements and late plays per region.
-- `by_region` maps a region to {"plays", "first_plays", "restatements"}: `plays` as of the latest
-- load, `first_plays` at the first load, `restatements` = later loads that changed the region's plays.
ALTER TABLE chart_loads
    ADD COLUMN first_loaded_at timestamptz,
    ADD COLUMN by_region jsonb NOT NULL DEFAULT '{}'::jsonb;
UPDATE chart_loads SET first_loaded_at = loaded_at WHERE first_loaded_at IS NULL;
ALTER TABLE chart_loads ALTER COLUMN first_loaded_at SET NOT NULL,
    ALTER COLUMN first_loaded_at SET DEFAULT now();
