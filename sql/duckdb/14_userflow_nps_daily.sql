-- userflow_nps_daily: NPS per survey question and UTC day of the answer: promoters (9-10) minus detractors (0-6) over respondents, x100; questions of type nps only, preview sessions excluded.
-- Generated from views/views.go by `make generate`; do not edit.
-- Run after 00_tables.sql (`etl views --dialect duckdb --data DIR` prints both for a data directory).

CREATE OR REPLACE VIEW "userflow_nps_daily" ("day", "content_id", "question_cvid", "question_name", "respondents", "promoters", "passives", "detractors", "nps") AS
SELECT day, content_id, question_cvid, question_name, respondents, promoters, passives, detractors,
       CASE WHEN (respondents) = 0 THEN NULL ELSE CAST((promoters - detractors) * 100 AS DOUBLE) / (respondents) END AS nps
FROM (
    SELECT CAST(timezone('UTC', created_at) AS DATE) AS day, content_id, question_cvid,
           max(question_name) AS question_name,
           CAST(count(*) AS BIGINT) AS respondents,
           CAST(count(*) FILTER (WHERE answer_number >= 9) AS BIGINT) AS promoters,
           CAST(count(*) FILTER (WHERE answer_number >= 7 AND answer_number < 9) AS BIGINT) AS passives,
           CAST(count(*) FILTER (WHERE answer_number < 7) AS BIGINT) AS detractors
    FROM "userflow_session_answers"
    WHERE answer_number IS NOT NULL
      AND question_cvid IN (SELECT cvid FROM "userflow_questions" WHERE type = 'nps')
      AND session_id NOT IN (SELECT id FROM "userflow_content_sessions" WHERE (is_preview))
    GROUP BY CAST(timezone('UTC', created_at) AS DATE), content_id, question_cvid
) AS d;

COMMENT ON VIEW "userflow_nps_daily" IS 'NPS per survey question and UTC day of the answer: promoters (9-10) minus detractors (0-6) over respondents, x100; questions of type nps only, preview sessions excluded.';

COMMENT ON COLUMN "userflow_nps_daily"."day" IS 'UTC day of the answer (userflow_session_answers.created_at)';

COMMENT ON COLUMN "userflow_nps_daily"."content_id" IS 'the flow holding the survey (userflow_session_answers.content_id)';

COMMENT ON COLUMN "userflow_nps_daily"."question_cvid" IS 'cross-version question id (userflow_session_answers.question_cvid = userflow_questions.cvid)';

COMMENT ON COLUMN "userflow_nps_daily"."question_name" IS 'userflow_session_answers.question_name';

COMMENT ON COLUMN "userflow_nps_daily"."respondents" IS 'answers with a score (answer_number not NULL)';

COMMENT ON COLUMN "userflow_nps_daily"."promoters" IS 'answers scoring 9 or 10';

COMMENT ON COLUMN "userflow_nps_daily"."passives" IS 'answers scoring 7 or 8';

COMMENT ON COLUMN "userflow_nps_daily"."detractors" IS 'answers scoring 0 to 6';

COMMENT ON COLUMN "userflow_nps_daily"."nps" IS '(promoters - detractors) / respondents x 100, -100..100; NULL without respondents';
