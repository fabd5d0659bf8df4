-- whatfix_flow_daily: Whatfix flows per report day: starts and completions from the per-flow completion-rate report, rate recomputed from the counts.
-- Generated from views/views.go by `make generate`; do not edit.
-- Run after 00_tables.sql (`etl views --dialect duckdb --data DIR` prints both for a data directory).

CREATE OR REPLACE VIEW "whatfix_flow_daily" ("day", "flow_id", "flow_name", "starts", "completions", "completion_rate") AS
SELECT day, flow_id, flow_name, starts, completions, CASE WHEN (starts) = 0 THEN NULL ELSE CAST(completions AS DOUBLE) / (starts) END AS completion_rate
FROM (
    SELECT report_date AS day, flow_id,
           CAST(coalesce(sum(started), 0) AS BIGINT) AS starts,
           CAST(coalesce(sum(completed), 0) AS BIGINT) AS completions
    FROM "whatfix_report_flow_completion_rate"
    GROUP BY report_date, flow_id
) AS r
LEFT JOIN (
    SELECT flow_id, arg_max(coalesce(flow_name, ''), report_date) AS flow_name
    FROM "whatfix_flow_analytics"
    GROUP BY flow_id
) AS c USING (flow_id);

COMMENT ON VIEW "whatfix_flow_daily" IS 'Whatfix flows per report day: starts and completions from the per-flow completion-rate report, rate recomputed from the counts.';

COMMENT ON COLUMN "whatfix_flow_daily"."day" IS 'whatfix_report_flow_completion_rate.report_date';

COMMENT ON COLUMN "whatfix_flow_daily"."flow_id" IS 'whatfix_report_flow_completion_rate.flow_id (flowId)';

COMMENT ON COLUMN "whatfix_flow_daily"."flow_name" IS 'flow_name (Flow Name) of the flow''s latest whatfix_flow_analytics row; empty if none';

COMMENT ON COLUMN "whatfix_flow_daily"."starts" IS 'report column Started, summed';

COMMENT ON COLUMN "whatfix_flow_daily"."completions" IS 'report column Completed, summed';

COMMENT ON COLUMN "whatfix_flow_daily"."completion_rate" IS 'completions / starts, 0..1; NULL without starts';
