package userflow

import "github.com/adoptionlabs/etl/schemas"

// SessionsTable holds one row per content session.
var SessionsTable = &schemas.Table{
	Name: "userflow_content_sessions",
	Doc:  "Userflow content sessions: one user's run through one flow, checklist or launcher; latest state wins",
	Columns: schemas.WithMeta(
		schemas.Column{Name: "id", Type: schemas.String, Doc: "content session id"},
		schemas.Column{Name: "content_id", Type: schemas.String, Doc: "flow, checklist or launcher (userflow_content.id)"},
		schemas.Column{Name: "user_id", Type: schemas.String, Doc: "user_id (userflow_users.id)"},
		schemas.Column{Name: "group_id", Type: schemas.String, Nullable: true, Doc: "group the session ran under, if any"},
		schemas.Column{Name: "version_id", Type: schemas.String, Doc: "userflow_content_versions.id"},
		schemas.Column{Name: "created_at", Type: schemas.Timestamp, Doc: "session start (UTC); never changes"},
		schemas.Column{Name: "last_activity_at", Type: schemas.Timestamp, Doc: "last interaction (UTC); the incremental cursor"},
		schemas.Column{Name: "completed", Type: schemas.Bool, Doc: "completed: 1 once the user finished it"},
		schemas.Column{Name: "completed_at", Type: schemas.Timestamp, Nullable: true, Doc: "completed_at (UTC); NULL until completed"},
		schemas.Column{Name: "progress", Type: schemas.Float64, Doc: "0..1, 1 = fully completed"},
		schemas.Column{Name: "is_preview", Type: schemas.Bool, Doc: "started by a team member previewing a draft"},
		schemas.Column{Name: "launcher_activated", Type: schemas.Bool, Doc: "launcher_activated: 1 once the launcher was clicked"},
	),
	Disposition: schemas.Merge,
	Key:         []string{"id"},
	Version:     "last_activity_at",
	Day:         "last_activity_at",
	Partition:   "created_at",
	// Dashboards read per flow (completion of X over time), so content_id
	// leads for index pruning. It never changes for a session, so
	// (content_id, id) deduplicates exactly like id alone.
	OrderBy: []string{"content_id", "id"},
}

// AnswersTable holds one row per survey answer of a flow session.
var AnswersTable = &schemas.Table{
	Name: "userflow_session_answers",
	Doc:  "Userflow survey answers, one row per answered question of a flow session",
	Columns: schemas.WithMeta(
		schemas.Column{Name: "id", Type: schemas.String, Doc: "answer id"},
		schemas.Column{Name: "session_id", Type: schemas.String, Doc: "userflow_content_sessions.id"},
		schemas.Column{Name: "content_id", Type: schemas.String, Doc: "content_id of the session (userflow_content.id)"},
		schemas.Column{Name: "user_id", Type: schemas.String, Doc: "user_id of the session (userflow_users.id)"},
		schemas.Column{Name: "question_cvid", Type: schemas.String, Doc: "cross-version question id (userflow_questions.cvid)"},
		schemas.Column{Name: "question_name", Type: schemas.String, Doc: "question_name: the question as shown when answered"},
		schemas.Column{Name: "answer_type", Type: schemas.String, Doc: "text, number or list"},
		schemas.Column{Name: "answer_value", Type: schemas.String, Doc: "the answer as given; a list answer as compact JSON text"},
		schemas.Column{Name: "answer_values", Type: schemas.StringList, Doc: "items of a list answer; empty otherwise"},
		schemas.Column{Name: "answer_number", Type: schemas.Float64, Nullable: true, Doc: "value of a number answer (NPS, stars)"},
		schemas.Column{Name: "created_at", Type: schemas.Timestamp, Doc: "when the answer was given (UTC)"},
		schemas.Column{Name: "session_last_activity_at", Type: schemas.Timestamp, Doc: "the session's last_activity_at when fetched"},
	),
	Disposition: schemas.Merge,
	Key:         []string{"id"},
	// The session's activity, not the answer's: answers are re-fetched
	// with their session, and must land in the same window as it.
	Version:   "session_last_activity_at",
	Day:       "session_last_activity_at",
	Partition: "created_at",
	// "Answers to question Q of flow F": both never change for an answer.
	OrderBy: []string{"content_id", "question_cvid", "id"},
}

// ContentTable holds flows, checklists and launchers.
var ContentTable = &schemas.Table{
	Name: "userflow_content",
	Doc:  "Userflow content objects (flows, checklists, launchers), full snapshot",
	Columns: schemas.WithMeta(
		schemas.Column{Name: "id", Type: schemas.String, Doc: "id of the flow, checklist or launcher"},
		schemas.Column{Name: "name", Type: schemas.String, Doc: "name given in the Builder"},
		schemas.Column{Name: "type", Type: schemas.String, Doc: "flow, checklist or launcher"},
		schemas.Column{Name: "created_at", Type: schemas.Timestamp, Doc: "created_at (UTC)"},
		schemas.Column{Name: "draft_version_id", Type: schemas.String, Nullable: true, Doc: "version currently in the Builder"},
		schemas.Column{Name: "published_version_id", Type: schemas.String, Nullable: true, Doc: "version currently published; NULL if never published"},
	),
	Disposition: schemas.ReplaceAll,
	Key:         []string{"id"},
}

// VersionsTable holds content versions.
var VersionsTable = &schemas.Table{
	Name: "userflow_content_versions",
	Doc:  "Userflow content versions, full snapshot",
	Columns: schemas.WithMeta(
		schemas.Column{Name: "id", Type: schemas.String, Doc: "id of the version"},
		schemas.Column{Name: "content_id", Type: schemas.String, Doc: "taken from the walk: the API's version object does not carry it"},
		schemas.Column{Name: "number", Type: schemas.Int64, Doc: "incremental per content object"},
		schemas.Column{Name: "description", Type: schemas.String, Nullable: true, Doc: "description"},
		schemas.Column{Name: "created_at", Type: schemas.Timestamp, Doc: "created_at (UTC)"},
		schemas.Column{Name: "edited_at", Type: schemas.Timestamp, Nullable: true, Doc: "last edit, or when it was published and frozen"},
	),
	Disposition: schemas.ReplaceAll,
	Key:         []string{"id"},
}

// QuestionsTable holds the survey questions of flow versions.
var QuestionsTable = &schemas.Table{
	Name: "userflow_questions",
	Doc:  "Userflow survey questions per flow version; cvid is stable across versions, id is not",
	Columns: schemas.WithMeta(
		schemas.Column{Name: "id", Type: schemas.String, Doc: "changes with every version"},
		schemas.Column{Name: "content_id", Type: schemas.String, Doc: "content_id, taken from the walk (userflow_content.id)"},
		schemas.Column{Name: "version_id", Type: schemas.String, Doc: "the version carrying the question (userflow_content_versions.id)"},
		schemas.Column{Name: "cvid", Type: schemas.String, Doc: "cross-version id; userflow_session_answers.question_cvid"},
		schemas.Column{Name: "name", Type: schemas.String, Doc: "name: the question as shown"},
		schemas.Column{Name: "type", Type: schemas.String, Doc: "text, multiline_text, nps, stars or multiple_choice"},
	),
	Disposition: schemas.ReplaceAll,
	Key:         []string{"version_id", "id"},
}

// TasksTable holds the tasks of checklist versions. The walk asks for them
// anyway (expand[]=tasks), and checklist completion is read per task.
var TasksTable = &schemas.Table{
	Name: "userflow_checklist_tasks",
	Doc:  "Userflow checklist tasks per checklist version; cvid is stable across versions, id is not",
	Columns: schemas.WithMeta(
		schemas.Column{Name: "id", Type: schemas.String, Doc: "changes with every version"},
		schemas.Column{Name: "content_id", Type: schemas.String, Doc: "content_id, taken from the walk (userflow_content.id)"},
		schemas.Column{Name: "version_id", Type: schemas.String, Doc: "the version carrying the task (userflow_content_versions.id)"},
		schemas.Column{Name: "cvid", Type: schemas.String, Doc: "cross-version id"},
		schemas.Column{Name: "name", Type: schemas.String, Doc: "name: the task as shown"},
	),
	Disposition: schemas.ReplaceAll,
	Key:         []string{"version_id", "id"},
}

// UsersTable holds Userflow users.
var UsersTable = &schemas.Table{
	Name: "userflow_users",
	Doc:  "Userflow users with their attributes, full snapshot",
	Columns: schemas.WithMeta(
		schemas.Column{Name: "id", Type: schemas.String, Doc: "the user's id in the product"},
		schemas.Column{Name: "created_at", Type: schemas.Timestamp, Doc: "when Userflow first saw the user (not sign-up)"},
		schemas.Column{Name: "email", Type: schemas.String, Nullable: true, Doc: "attributes.email"},
		schemas.Column{Name: "name", Type: schemas.String, Nullable: true, Doc: "attributes.name"},
		schemas.Column{Name: "attributes", Type: schemas.JSON, Doc: "the whole attributes object"},
	),
	Disposition: schemas.ReplaceAll,
	Key:         []string{"id"},
}

// GroupsTable holds Userflow groups (companies).
var GroupsTable = &schemas.Table{
	Name: "userflow_groups",
	Doc:  "Userflow groups (companies) with their attributes, full snapshot; empty on plans without Groups",
	Columns: schemas.WithMeta(
		schemas.Column{Name: "id", Type: schemas.String, Doc: "id of the group"},
		schemas.Column{Name: "created_at", Type: schemas.Timestamp, Doc: "created_at (UTC)"},
		schemas.Column{Name: "name", Type: schemas.String, Nullable: true, Doc: "attributes.name"},
		schemas.Column{Name: "attributes", Type: schemas.JSON, Doc: "the whole attributes object"},
	),
	Disposition: schemas.ReplaceAll,
	Key:         []string{"id"},
}

// AttributeDefinitionsTable holds the attribute catalogue.
var AttributeDefinitionsTable = &schemas.Table{
	Name: "userflow_attribute_definitions",
	Doc:  "Userflow attribute definitions (names, display names and types of attributes), full snapshot",
	Columns: schemas.WithMeta(
		schemas.Column{Name: "id", Type: schemas.String, Doc: "id"},
		schemas.Column{Name: "name", Type: schemas.String, Doc: "key in the attributes objects"},
		schemas.Column{Name: "display_name", Type: schemas.String, Doc: "display_name"},
		schemas.Column{Name: "description", Type: schemas.String, Nullable: true, Doc: "description"},
		schemas.Column{Name: "data_type", Type: schemas.String, Doc: "string, number, boolean, datetime, list, or a Userflow-internal type"},
		schemas.Column{Name: "scope", Type: schemas.String, Doc: "event, group, group_membership or user"},
		schemas.Column{Name: "created_at", Type: schemas.Timestamp, Doc: "created_at (UTC)"},
	),
	Disposition: schemas.ReplaceAll,
	Key:         []string{"id"},
}

// EventDefinitionsTable holds the event catalogue.
var EventDefinitionsTable = &schemas.Table{
	Name: "userflow_event_definitions",
	Doc:  "Userflow event definitions (event names tracked in the account), full snapshot",
	Columns: schemas.WithMeta(
		schemas.Column{Name: "id", Type: schemas.String, Doc: "id"},
		schemas.Column{Name: "name", Type: schemas.String, Doc: "name: the event name as tracked"},
		schemas.Column{Name: "display_name", Type: schemas.String, Doc: "display_name"},
		schemas.Column{Name: "description", Type: schemas.String, Nullable: true, Doc: "description"},
		schemas.Column{Name: "created_at", Type: schemas.Timestamp, Doc: "created_at (UTC)"},
	),
	Disposition: schemas.ReplaceAll,
	Key:         []string{"id"},
}
