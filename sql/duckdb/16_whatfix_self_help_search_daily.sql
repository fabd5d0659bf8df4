-- whatfix_self_help_search_daily: Whatfix Self Help searches per report day and their success rate (selfHelp/searchSummary), rate recomputed from the counts.
-- Generated from views/views.go by `make generate`; do not edit.
-- Run after 00_tables.sql (`etl views --dialect duckdb --data DIR` prints both for a data directory).

CREATE OR REPLACE VIEW "whatfix_self_help_search_daily" ("day", "searches", "successful_searches", "unsuccessful_searches", "success_rate") AS
SELECT day, searches, successful_searches, unsuccessful_searches,
       CASE WHEN (searches) = 0 THEN NULL ELSE CAST(successful_searches AS DOUBLE) / (searches) END AS success_rate
FROM (
    SELECT report_date AS day,
           CAST(coalesce(sum(total_searches), 0) AS BIGINT) AS searches,
           CAST(coalesce(sum(successful_searches), 0) AS BIGINT) AS successful_searches,
           CAST(coalesce(sum(unsuccessful_searches), 0) AS BIGINT) AS unsuccessful_searches
    FROM "whatfix_report_self_help_search_summary"
    GROUP BY report_date
) AS d;

COMMENT ON VIEW "whatfix_self_help_search_daily" IS 'Whatfix Self Help searches per report day and their success rate (selfHelp/searchSummary), rate recomputed from the counts.';

COMMENT ON COLUMN "whatfix_self_help_search_daily"."day" IS 'whatfix_report_self_help_search_summary.report_date';

COMMENT ON COLUMN "whatfix_self_help_search_daily"."searches" IS 'report column Total Searches, summed over accounts';

COMMENT ON COLUMN "whatfix_self_help_search_daily"."successful_searches" IS 'report column Successful Searches, summed';

COMMENT ON COLUMN "whatfix_self_help_search_daily"."unsuccessful_searches" IS 'report column Unsuccessful Searches, summed';

COMMENT ON COLUMN "whatfix_self_help_search_daily"."success_rate" IS 'successful_searches / searches, 0..1; NULL without searches';
