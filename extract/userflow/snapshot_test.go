package userflow

import (
	"encoding/json"
	"github.com/adoptionlabs/etl/engine"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/adoptionlabs/etl/window"
)

func TestContentSnapshot(t *testing.T) {
	e := newEnv(t, 1, nil)
	e.cfg.PageSize = 5
	e.cfg.ParallelContentWalks = 3
	rec, err := e.run(t, "content", window.Window{})
	require.NoError(t, err)
	require.Empty(t, rec.Rejects())

	contents := e.fake.Content()
	var wantContent []map[string]any
	types := map[string]string{}
	for _, c := range contents {
		types[c.ID] = c.Type
		var draft, published any
		if c.DraftVersionID != "" {
			draft = c.DraftVersionID
		}
		if c.PublishedVersionID != "" {
			published = c.PublishedVersionID
		}
		wantContent = append(wantContent, map[string]any{
			"id": c.ID, "name": c.Name, "type": c.Type, "created_at": apiTime(c.CreatedAt),
			"draft_version_id": draft, "published_version_id": published,
		})
	}
	assert.ElementsMatch(t, wantContent, rec.Values(ContentTable.Name))
	assert.Contains(t, rec.Column(ContentTable.Name, "published_version_id"), nil, "a never-published content keeps a NULL")

	var wantVersions, wantQuestions, wantTasks []map[string]any
	for _, v := range e.fake.Versions() {
		var desc, edited any
		if v.Description != "" {
			desc = v.Description
		}
		if v.EditedAt != nil {
			edited = apiTime(*v.EditedAt)
		}
		wantVersions = append(wantVersions, map[string]any{
			"id": v.ID, "content_id": v.ContentID, "number": json.Number(strconv.Itoa(v.Number)),
			"description": desc, "created_at": apiTime(v.CreatedAt), "edited_at": edited,
		})
		for _, q := range v.Questions {
			wantQuestions = append(wantQuestions, map[string]any{
				"id": q.ID, "content_id": v.ContentID, "version_id": v.ID, "cvid": q.CVID, "name": q.Name, "type": q.Type,
			})
		}
		for _, tk := range v.Tasks {
			wantTasks = append(wantTasks, map[string]any{
				"id": tk.ID, "content_id": v.ContentID, "version_id": v.ID, "cvid": tk.CVID, "name": tk.Name,
			})
		}
	}
	assert.ElementsMatch(t, wantVersions, rec.Values(VersionsTable.Name), "content_id is attached from the walk")
	assert.ElementsMatch(t, wantQuestions, rec.Values(QuestionsTable.Name))
	assert.ElementsMatch(t, wantTasks, rec.Values(TasksTable.Name))
	for _, q := range rec.Values(QuestionsTable.Name) {
		assert.Equal(t, "flow", types[q["content_id"].(string)], "only flows have questions")
	}
	for _, tk := range rec.Values(TasksTable.Name) {
		assert.Equal(t, "checklist", types[tk["content_id"].(string)], "only checklists have tasks")
	}

	assert.Equal(t, 3, e.fake.Requests("/content"), "12 content objects in pages of 5")
	assert.Equal(t, len(contents), e.fake.Requests("/content_versions"), "one walk per content object, each one page")
	assert.Contains(t, rec.ProgressCalls(), [2]int{len(contents), len(contents)})
	for _, l := range e.fake.RequestLog() {
		if strings.HasPrefix(l, "GET /content_versions") {
			assert.Regexp(t, `^GET /content_versions\?content_id=[0-9a-f-]{36}&expand%5B%5D=questions&expand%5B%5D=tasks&limit=5$`, l)
		}
	}
}

func TestContentVersionWalkErrorsNameTheContent(t *testing.T) {
	e := newEnv(t, 0.2, nil)
	e.cfg.Paths.ContentVersions = "/content_version" // mistyped: 404
	_, err := e.run(t, "content", window.Window{})
	require.Error(t, err)
	assert.Regexp(t, `^userflow content: versions of content [0-9a-f-]{36} page 1: check base_url and paths in the userflow settings: GET /content_version\?.*: 404 Not Found after 1 attempt: .*$`, err.Error())
}

func TestUsersSnapshot(t *testing.T) {
	e := newEnv(t, 0.5, nil)
	e.cfg.PageSize = 20
	rec, err := e.run(t, "users", window.Window{})
	require.NoError(t, err)
	users := e.fake.Users()
	rows := rec.Values(UsersTable.Name)
	require.Len(t, rows, len(users))
	sawMissingEmail := false
	for i, u := range users { // default order: created_at, like the fake's
		row := rows[i]
		assert.Equal(t, u.ID, row["id"])
		assert.Equal(t, apiTime(u.CreatedAt), row["created_at"])
		assert.Equal(t, u.Attributes["email"], row["email"])
		assert.Equal(t, u.Attributes["name"], row["name"])
		if _, ok := u.Attributes["email"]; !ok {
			assert.Nil(t, row["email"])
			sawMissingEmail = true
		}
		var attrs map[string]any
		require.NoError(t, json.Unmarshal([]byte(row["attributes"].(string)), &attrs))
		assert.Equal(t, normalise(t, u.Attributes), attrs, "the whole attributes object, mixed types kept")
	}
	assert.True(t, sawMissingEmail)
}

func normalise(t *testing.T, v map[string]any) map[string]any {
	b, err := json.Marshal(v)
	require.NoError(t, err)
	var out map[string]any
	require.NoError(t, json.Unmarshal(b, &out))
	return out
}

func TestGroups(t *testing.T) {
	t.Run("served", func(t *testing.T) {
		e := newEnv(t, 1, nil)
		rec, err := e.run(t, "groups", window.Window{})
		require.NoError(t, err)
		var want []any
		for _, g := range e.fake.Groups() {
			want = append(want, g.ID)
		}
		assert.ElementsMatch(t, want, rec.Column(GroupsTable.Name, "id"))
		assert.NotContains(t, rec.Column(GroupsTable.Name, "name"), nil)
		assert.Empty(t, rec.Notices())
	})
	t.Run("plan-restricted", func(t *testing.T) {
		e := newEnv(t, 1, nil)
		e.fake.SetGroupsForbidden(true)
		rec, err := e.run(t, "groups", window.Window{})
		var skip *engine.SkipError
		require.ErrorAs(t, err, &skip, "a skip, so the engine keeps the groups loaded before")
		assert.Equal(t, "not available on this plan (HTTP 403)", skip.Reason)
		assert.Empty(t, rec.AllRows())
	})
}

func TestDefinitions(t *testing.T) {
	e := newEnv(t, 0.1, nil)
	e.cfg.PageSize = 4
	attrs, err := e.run(t, "attribute_definitions", window.Window{})
	require.NoError(t, err)
	events, err := e.run(t, "event_definitions", window.Window{})
	require.NoError(t, err)
	require.Len(t, attrs.Rows(AttributeDefinitionsTable.Name), 15)
	require.Len(t, events.Rows(EventDefinitionsTable.Name), 5)
	names := map[string]bool{}
	for _, v := range attrs.Values(AttributeDefinitionsTable.Name) {
		names[v["scope"].(string)+"/"+v["name"].(string)] = true
		assert.NotEmpty(t, v["display_name"])
		assert.NotEmpty(t, v["data_type"])
		assert.NotEqual(t, "", v["description"], "an empty description is NULL")
	}
	assert.True(t, names["user/signed_up_at"] && names["group/billing_plan"])
	var evs []string
	for _, v := range events.Values(EventDefinitionsTable.Name) {
		evs = append(evs, v["display_name"].(string))
	}
	assert.True(t, sort.StringsAreSorted(evs), "default order is display_name: %v", evs)
}
