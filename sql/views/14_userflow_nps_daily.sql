-- userflow_nps_daily: NPS per survey question and UTC day of the answer: promoters (9-10) minus detractors (0-6) over respondents, x100; questions of type nps only, preview sessions excluded.
-- Generated from views/views.go by `make generate`; do not edit.
-- {database} is replaced by the target database. `etl migrate` applies it (on 18.16 as DROP + CREATE,
-- on current releases as CREATE OR REPLACE VIEW when the definition changed).

CREATE VIEW IF NOT EXISTS {database}.`userflow_nps_daily`
(
    `day` Date COMMENT 'UTC day of the answer (userflow_session_answers.created_at)',
    `content_id` String COMMENT 'the flow holding the survey (userflow_session_answers.content_id)',
    `question_cvid` String COMMENT 'cross-version question id (userflow_session_answers.question_cvid = userflow_questions.cvid)',
    `question_name` String COMMENT 'userflow_session_answers.question_name',
    `respondents` Int64 COMMENT 'answers with a score (answer_number not NULL)',
    `promoters` Int64 COMMENT 'answers scoring 9 or 10',
    `passives` Int64 COMMENT 'answers scoring 7 or 8',
    `detractors` Int64 COMMENT 'answers scoring 0 to 6',
    `nps` Nullable(Float64) COMMENT '(promoters - detractors) / respondents x 100, -100..100; NULL without respondents'
) AS
SELECT day, content_id, question_cvid, question_name, respondents, promoters, passives, detractors,
       CASE WHEN (respondents) = 0 THEN NULL ELSE toFloat64((promoters - detractors) * 100) / (respondents) END AS nps
FROM (
    SELECT toDate(created_at) AS day, content_id, question_cvid,
           max(question_name) AS question_name,
           toInt64(count(*)) AS respondents,
           toInt64(countIf(ifNull(answer_number >= 9, 0))) AS promoters,
           toInt64(countIf(ifNull(answer_number >= 7 AND answer_number < 9, 0))) AS passives,
           toInt64(countIf(ifNull(answer_number < 7, 0))) AS detractors
    FROM {database}.`userflow_session_answers`
    WHERE answer_number IS NOT NULL
      AND question_cvid IN (SELECT cvid FROM {database}.`userflow_questions` WHERE type = 'nps')
      AND session_id NOT IN (SELECT id FROM {database}.`userflow_content_sessions` WHERE (is_preview = 1))
    GROUP BY toDate(created_at), content_id, question_cvid
) AS d;
