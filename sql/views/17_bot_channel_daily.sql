-- bot_channel_daily: Bot messages and active users per channel and UTC day (transcripts), preview users excluded.
-- Generated from views/views.go by `make generate`; do not edit.
-- {database} is replaced by the target database. `etl migrate` applies it (on 18.16 as DROP + CREATE,
-- on current releases as CREATE OR REPLACE VIEW when the definition changed).

CREATE VIEW IF NOT EXISTS {database}.`bot_channel_daily`
(
    `day` Date COMMENT 'UTC day of the message (bot_transcript_messages.created_at)',
    `channel_id` Int64 COMMENT 'bot_transcript_messages.channel_id (1010 webchat, 1014 whatsapp, ...)',
    `channel_name` String COMMENT 'bot_transcript_messages.channel_name',
    `messages` Int64 COMMENT 'messages of any sender',
    `user_messages` Int64 COMMENT 'messages with from = User',
    `bot_messages` Int64 COMMENT 'messages with from = Bot',
    `agent_messages` Int64 COMMENT 'messages with from = Agent',
    `active_users` Int64 COMMENT 'users who sent at least one message that day (distinct bot_user_id)',
    `conversations` Int64 COMMENT 'users with any message that day: one conversation per user, channel and day'
) AS
SELECT toDate(created_at) AS day, channel_id,
       max(channel_name) AS channel_name,
       toInt64(count(*)) AS messages,
       toInt64(countIf(ifNull(lower(`from`) = 'user', 0))) AS user_messages,
       toInt64(countIf(ifNull(lower(`from`) = 'bot', 0))) AS bot_messages,
       toInt64(countIf(ifNull(lower(`from`) = 'agent', 0))) AS agent_messages,
       toInt64(uniqExactIf(bot_user_id, ifNull(lower(`from`) = 'user', 0))) AS active_users,
       toInt64(count(DISTINCT bot_user_id)) AS conversations
FROM {database}.`bot_transcript_messages`
WHERE NOT (is_preview_user = 1)
GROUP BY toDate(created_at), channel_id;
