-- technowiz_conversations: Technowiz conversations: one row per user and UTC day with its messages and length.
-- Generated from views/views.go by `make generate`; do not edit.
-- {database} is replaced by the target database. `etl migrate` applies it (on 18.16 as DROP + CREATE,
-- on current releases as CREATE OR REPLACE VIEW when the definition changed).

CREATE VIEW IF NOT EXISTS {database}.`technowiz_conversations`
(
    `day` Date COMMENT 'UTC day of the messages (technowiz_messages.timestamp)',
    `user_id` String COMMENT 'technowiz_messages.user_id',
    `messages` Int64 COMMENT 'messages of any sender',
    `user_messages` Int64 COMMENT 'messages with from = user',
    `started_at` DateTime('UTC') COMMENT 'first message (min timestamp), UTC, to the second',
    `ended_at` DateTime('UTC') COMMENT 'last message (max timestamp), UTC, to the second',
    `duration_s` Int64 COMMENT 'ended_at - started_at in seconds'
) AS
SELECT toDate(`timestamp`) AS day, user_id,
       toInt64(count(*)) AS messages,
       toInt64(countIf(ifNull(lower(`from`) = 'user', 0))) AS user_messages,
       min(`timestamp`) AS started_at,
       max(`timestamp`) AS ended_at,
       toInt64(max(`timestamp`)) - toInt64(min(`timestamp`)) AS duration_s
FROM {database}.`technowiz_messages`
GROUP BY toDate(`timestamp`), user_id;
