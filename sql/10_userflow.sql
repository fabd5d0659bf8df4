-- source userflow
-- Generated from the table declarations by `make generate`; do not edit.
-- {database} is replaced by the target database when `etl migrate` applies it.

-- userflow_content_sessions (merge, key: id)
CREATE TABLE IF NOT EXISTS {database}.`userflow_content_sessions`
(
    `id` String COMMENT 'content session id',
    `content_id` String COMMENT 'flow, checklist or launcher (userflow_content.id)',
    `user_id` String COMMENT 'user_id (userflow_users.id)',
    `group_id` Nullable(String) COMMENT 'group the session ran under, if any',
    `version_id` String COMMENT 'userflow_content_versions.id',
    `created_at` DateTime('UTC') COMMENT 'session start (UTC); never changes',
    `last_activity_at` DateTime('UTC') COMMENT 'last interaction (UTC); the incremental cursor',
    `completed` UInt8 COMMENT 'completed: 1 once the user finished it',
    `completed_at` Nullable(DateTime('UTC')) COMMENT 'completed_at (UTC); NULL until completed',
    `progress` Float64 COMMENT '0..1, 1 = fully completed',
    `is_preview` UInt8 COMMENT 'started by a team member previewing a draft',
    `launcher_activated` UInt8 COMMENT 'launcher_activated: 1 once the launcher was clicked',
    `_extracted_at` DateTime('UTC') COMMENT 'when etl fetched the row (UTC)',
    `_run_id` String COMMENT 'id of the etl run that loaded the row'
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(`created_at`)
ORDER BY (`id`);

-- userflow_session_answers (merge, key: id)
CREATE TABLE IF NOT EXISTS {database}.`userflow_session_answers`
(
    `id` String COMMENT 'answer id',
    `session_id` String COMMENT 'userflow_content_sessions.id',
    `content_id` String COMMENT 'content_id of the session (userflow_content.id)',
    `user_id` String COMMENT 'user_id of the session (userflow_users.id)',
    `question_cvid` String COMMENT 'cross-version question id (userflow_questions.cvid)',
    `question_name` String COMMENT 'question_name: the question as shown when answered',
    `answer_type` String COMMENT 'text, number or list',
    `answer_value` String COMMENT 'the answer as given; a list answer as compact JSON text',
    `answer_values` Array(String) COMMENT 'items of a list answer; empty otherwise',
    `answer_number` Nullable(Float64) COMMENT 'value of a number answer (NPS, stars)',
    `created_at` DateTime('UTC') COMMENT 'when the answer was given (UTC)',
    `session_last_activity_at` DateTime('UTC') COMMENT 'the session\'s last_activity_at when fetched',
    `_extracted_at` DateTime('UTC') COMMENT 'when etl fetched the row (UTC)',
    `_run_id` String COMMENT 'id of the etl run that loaded the row'
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(`created_at`)
ORDER BY (`id`);

-- userflow_content (replace-all, key: id)
CREATE TABLE IF NOT EXISTS {database}.`userflow_content`
(
    `id` String COMMENT 'id of the flow, checklist or launcher',
    `name` String COMMENT 'name given in the Builder',
    `type` String COMMENT 'flow, checklist or launcher',
    `created_at` DateTime('UTC') COMMENT 'created_at (UTC)',
    `draft_version_id` Nullable(String) COMMENT 'version currently in the Builder',
    `published_version_id` Nullable(String) COMMENT 'version currently published; NULL if never published',
    `_extracted_at` DateTime('UTC') COMMENT 'when etl fetched the row (UTC)',
    `_run_id` String COMMENT 'id of the etl run that loaded the row'
)
ENGINE = MergeTree
ORDER BY (`id`);

-- userflow_content_versions (replace-all, key: id)
CREATE TABLE IF NOT EXISTS {database}.`userflow_content_versions`
(
    `id` String COMMENT 'id of the version',
    `content_id` String COMMENT 'taken from the walk: the API\'s version object does not carry it',
    `number` Int64 COMMENT 'incremental per content object',
    `description` Nullable(String) COMMENT 'description',
    `created_at` DateTime('UTC') COMMENT 'created_at (UTC)',
    `edited_at` Nullable(DateTime('UTC')) COMMENT 'last edit, or when it was published and frozen',
    `_extracted_at` DateTime('UTC') COMMENT 'when etl fetched the row (UTC)',
    `_run_id` String COMMENT 'id of the etl run that loaded the row'
)
ENGINE = MergeTree
ORDER BY (`id`);

-- userflow_questions (replace-all, key: version_id, id)
CREATE TABLE IF NOT EXISTS {database}.`userflow_questions`
(
    `id` String COMMENT 'changes with every version',
    `content_id` String COMMENT 'content_id, taken from the walk (userflow_content.id)',
    `version_id` String COMMENT 'the version carrying the question (userflow_content_versions.id)',
    `cvid` String COMMENT 'cross-version id; userflow_session_answers.question_cvid',
    `name` String COMMENT 'name: the question as shown',
    `type` String COMMENT 'text, multiline_text, nps, stars or multiple_choice',
    `_extracted_at` DateTime('UTC') COMMENT 'when etl fetched the row (UTC)',
    `_run_id` String COMMENT 'id of the etl run that loaded the row'
)
ENGINE = MergeTree
ORDER BY (`version_id`, `id`);

-- userflow_checklist_tasks (replace-all, key: version_id, id)
CREATE TABLE IF NOT EXISTS {database}.`userflow_checklist_tasks`
(
    `id` String COMMENT 'changes with every version',
    `content_id` String COMMENT 'content_id, taken from the walk (userflow_content.id)',
    `version_id` String COMMENT 'the version carrying the task (userflow_content_versions.id)',
    `cvid` String COMMENT 'cross-version id',
    `name` String COMMENT 'name: the task as shown',
    `_extracted_at` DateTime('UTC') COMMENT 'when etl fetched the row (UTC)',
    `_run_id` String COMMENT 'id of the etl run that loaded the row'
)
ENGINE = MergeTree
ORDER BY (`version_id`, `id`);

-- userflow_users (replace-all, key: id)
CREATE TABLE IF NOT EXISTS {database}.`userflow_users`
(
    `id` String COMMENT 'the user\'s id in the product',
    `created_at` DateTime('UTC') COMMENT 'when Userflow first saw the user (not sign-up)',
    `email` Nullable(String) COMMENT 'attributes.email',
    `name` Nullable(String) COMMENT 'attributes.name',
    `attributes` String COMMENT 'the whole attributes object',
    `_extracted_at` DateTime('UTC') COMMENT 'when etl fetched the row (UTC)',
    `_run_id` String COMMENT 'id of the etl run that loaded the row'
)
ENGINE = MergeTree
ORDER BY (`id`);

-- userflow_groups (replace-all, key: id)
CREATE TABLE IF NOT EXISTS {database}.`userflow_groups`
(
    `id` String COMMENT 'id of the group',
    `created_at` DateTime('UTC') COMMENT 'created_at (UTC)',
    `name` Nullable(String) COMMENT 'attributes.name',
    `attributes` String COMMENT 'the whole attributes object',
    `_extracted_at` DateTime('UTC') COMMENT 'when etl fetched the row (UTC)',
    `_run_id` String COMMENT 'id of the etl run that loaded the row'
)
ENGINE = MergeTree
ORDER BY (`id`);

-- userflow_attribute_definitions (replace-all, key: id)
CREATE TABLE IF NOT EXISTS {database}.`userflow_attribute_definitions`
(
    `id` String COMMENT 'id',
    `name` String COMMENT 'key in the attributes objects',
    `display_name` String COMMENT 'display_name',
    `description` Nullable(String) COMMENT 'description',
    `data_type` String COMMENT 'string, number, boolean, datetime, list, or a Userflow-internal type',
    `scope` String COMMENT 'event, group, group_membership or user',
    `created_at` DateTime('UTC') COMMENT 'created_at (UTC)',
    `_extracted_at` DateTime('UTC') COMMENT 'when etl fetched the row (UTC)',
    `_run_id` String COMMENT 'id of the etl run that loaded the row'
)
ENGINE = MergeTree
ORDER BY (`id`);

-- userflow_event_definitions (replace-all, key: id)
CREATE TABLE IF NOT EXISTS {database}.`userflow_event_definitions`
(
    `id` String COMMENT 'id',
    `name` String COMMENT 'name: the event name as tracked',
    `display_name` String COMMENT 'display_name',
    `description` Nullable(String) COMMENT 'description',
    `created_at` DateTime('UTC') COMMENT 'created_at (UTC)',
    `_extracted_at` DateTime('UTC') COMMENT 'when etl fetched the row (UTC)',
    `_run_id` String COMMENT 'id of the etl run that loaded the row'
)
ENGINE = MergeTree
ORDER BY (`id`);
