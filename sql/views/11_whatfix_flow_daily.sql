-- whatfix_flow_daily: Whatfix flows per report day: starts and completions from the per-flow completion-rate report, rate recomputed from the counts.
-- Generated from views/views.go by `make generate`; do not edit.
-- {database} is replaced by the target database. `etl migrate` applies it (on 18.16 as DROP + CREATE,
-- on current releases as CREATE OR REPLACE VIEW when the definition changed).

CREATE VIEW IF NOT EXISTS {database}.`whatfix_flow_daily`
(
    `day` Date COMMENT 'whatfix_report_flow_completion_rate.report_date',
    `flow_id` String COMMENT 'whatfix_report_flow_completion_rate.flow_id (flowId)',
    `flow_name` String COMMENT 'flow_name (Flow Name) of the flow\'s latest whatfix_flow_analytics row; empty if none',
    `starts` Int64 COMMENT 'report column Started, summed',
    `completions` Int64 COMMENT 'report column Completed, summed',
    `completion_rate` Nullable(Float64) COMMENT 'completions / starts, 0..1; NULL without starts'
) AS
SELECT day, flow_id, flow_name, starts, completions, CASE WHEN (starts) = 0 THEN NULL ELSE toFloat64(completions) / (starts) END AS completion_rate
FROM (
    SELECT report_date AS day, flow_id,
           toInt64(coalesce(sum(started), 0)) AS starts,
           toInt64(coalesce(sum(completed), 0)) AS completions
    FROM {database}.`whatfix_report_flow_completion_rate`
    GROUP BY report_date, flow_id
) AS r
ALL LEFT JOIN (
    SELECT flow_id, argMax(coalesce(flow_name, ''), report_date) AS flow_name
    FROM {database}.`whatfix_flow_analytics`
    GROUP BY flow_id
) AS c USING (flow_id);
