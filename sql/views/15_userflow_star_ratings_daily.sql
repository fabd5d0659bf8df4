-- userflow_star_ratings_daily: Star ratings per survey question and UTC day of the answer: respondents and average stars; questions of type stars only, preview sessions excluded.
-- Generated from views/views.go by `make generate`; do not edit.
-- {database} is replaced by the target database. `etl migrate` applies it (on 18.16 as DROP + CREATE,
-- on current releases as CREATE OR REPLACE VIEW when the definition changed).

CREATE VIEW IF NOT EXISTS {database}.`userflow_star_ratings_daily`
(
    `day` Date COMMENT 'UTC day of the answer (userflow_session_answers.created_at)',
    `content_id` String COMMENT 'the flow holding the survey (userflow_session_answers.content_id)',
    `question_cvid` String COMMENT 'cross-version question id (userflow_questions.cvid)',
    `question_name` String COMMENT 'userflow_session_answers.question_name',
    `respondents` Int64 COMMENT 'answers with a rating (answer_number not NULL)',
    `avg_stars` Nullable(Float64) COMMENT 'average of answer_number, 1..5'
) AS
SELECT toDate(created_at) AS day, content_id, question_cvid,
       max(question_name) AS question_name,
       toInt64(count(*)) AS respondents,
       CASE WHEN (count(*)) = 0 THEN NULL ELSE toFloat64(sum(answer_number)) / (count(*)) END AS avg_stars
FROM {database}.`userflow_session_answers`
WHERE answer_number IS NOT NULL
  AND question_cvid IN (SELECT cvid FROM {database}.`userflow_questions` WHERE type = 'stars')
  AND session_id NOT IN (SELECT id FROM {database}.`userflow_content_sessions` WHERE (is_preview = 1))
GROUP BY toDate(created_at), content_id, question_cvid;
