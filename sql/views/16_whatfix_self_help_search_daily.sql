-- whatfix_self_help_search_daily: Whatfix Self Help searches per report day and their success rate (selfHelp/searchSummary), rate recomputed from the counts.
-- Generated from views/views.go by `make generate`; do not edit.
-- {database} is replaced by the target database. `etl migrate` applies it (on 18.16 as DROP + CREATE,
-- on current releases as CREATE OR REPLACE VIEW when the definition changed).

CREATE VIEW IF NOT EXISTS {database}.`whatfix_self_help_search_daily`
(
    `day` Date COMMENT 'whatfix_report_self_help_search_summary.report_date',
    `searches` Int64 COMMENT 'report column Total Searches, summed over accounts',
    `successful_searches` Int64 COMMENT 'report column Successful Searches, summed',
    `unsuccessful_searches` Int64 COMMENT 'report column Unsuccessful Searches, summed',
    `success_rate` Nullable(Float64) COMMENT 'successful_searches / searches, 0..1; NULL without searches'
) AS
SELECT day, searches, successful_searches, unsuccessful_searches,
       CASE WHEN (searches) = 0 THEN NULL ELSE toFloat64(successful_searches) / (searches) END AS success_rate
FROM (
    SELECT report_date AS day,
           toInt64(coalesce(sum(total_searches), 0)) AS searches,
           toInt64(coalesce(sum(successful_searches), 0)) AS successful_searches,
           toInt64(coalesce(sum(unsuccessful_searches), 0)) AS unsuccessful_searches
    FROM {database}.`whatfix_report_self_help_search_summary`
    GROUP BY report_date
) AS d;
