-- userflow_star_ratings_daily: Star ratings per survey question and UTC day of the answer: respondents and average stars; questions of type stars only, preview sessions excluded.
-- Generated from views/views.go by `make generate`; do not edit.
-- Run after 00_tables.sql (`etl views --dialect duckdb --data DIR` prints both for a data directory).

CREATE OR REPLACE VIEW "userflow_star_ratings_daily" ("day", "content_id", "question_cvid", "question_name", "respondents", "avg_stars") AS
SELECT CAST(timezone('UTC', created_at) AS DATE) AS day, content_id, question_cvid,
       max(question_name) AS question_name,
       CAST(count(*) AS BIGINT) AS respondents,
       CASE WHEN (count(*)) = 0 THEN NULL ELSE CAST(sum(answer_number) AS DOUBLE) / (count(*)) END AS avg_stars
FROM "userflow_session_answers"
WHERE answer_number IS NOT NULL
  AND question_cvid IN (SELECT cvid FROM "userflow_questions" WHERE type = 'stars')
  AND session_id NOT IN (SELECT id FROM "userflow_content_sessions" WHERE (is_preview))
GROUP BY CAST(timezone('UTC', created_at) AS DATE), content_id, question_cvid;

COMMENT ON VIEW "userflow_star_ratings_daily" IS 'Star ratings per survey question and UTC day of the answer: respondents and average stars; questions of type stars only, preview sessions excluded.';

COMMENT ON COLUMN "userflow_star_ratings_daily"."day" IS 'UTC day of the answer (userflow_session_answers.created_at)';

COMMENT ON COLUMN "userflow_star_ratings_daily"."content_id" IS 'the flow holding the survey (userflow_session_answers.content_id)';

COMMENT ON COLUMN "userflow_star_ratings_daily"."question_cvid" IS 'cross-version question id (userflow_questions.cvid)';

COMMENT ON COLUMN "userflow_star_ratings_daily"."question_name" IS 'userflow_session_answers.question_name';

COMMENT ON COLUMN "userflow_star_ratings_daily"."respondents" IS 'answers with a rating (answer_number not NULL)';

COMMENT ON COLUMN "userflow_star_ratings_daily"."avg_stars" IS 'average of answer_number, 1..5';
