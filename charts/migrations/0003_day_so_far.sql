-- A daily load may cover only the hours of the day loaded so far (the current day's chart): such a
-- load is not `complete`. The day's own run replaces it with the complete chart.
ALTER TABLE chart_loads ADD COLUMN complete boolean NOT NULL DEFAULT true;
