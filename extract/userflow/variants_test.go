package userflow

import (
	"fmt"
	"net/http"
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/adoptionlabs/etl/engine"
	"github.com/adoptionlabs/etl/extract/userflow/userflowfake"
	"github.com/adoptionlabs/etl/window"
)

// The fake in each other reading of what the reference leaves open: with
// the default settings a run stops loudly on the first page and names the
// setting, never loads fewer rows with status ok; with that setting it
// loads every row.

func variantEnv(t *testing.T, variant string) *env {
	t.Helper()
	v, ok := userflowfake.Variants[variant]
	require.True(t, ok, variant)
	e := newEnvWith(t, userflowfake.Options{Seed: 11, Now: testNow, Scale: 1, Variant: v}, nil)
	e.cfg.PageSize = 40
	return e
}

// An absolute next_page_url on another host than base_url cannot be
// followed (the key goes to base_url only); one that drops the request's
// parameters would load the later pages without answers, in created_at
// order, 10 a page, and say nothing.
func TestVariantNextPageURL(t *testing.T) {
	for _, variant := range []string{"absolute-next-page-url", "bare-next-page-url"} {
		t.Run(variant, func(t *testing.T) {
			e := variantEnv(t, variant)
			_, err := e.run(t, "content_sessions", lastWeek)
			require.Error(t, err)
			assert.Regexp(t, `^userflow content_sessions window \S+ page 1: next_page_url "[^"]+" (is not on base_url's http://127\.0\.0\.1:\d+|does not keep the request's expand, limit, order_by): set userflow paging: starting_after$`, err.Error())
			_, err = e.run(t, "users", window.Window{})
			require.ErrorContains(t, err, "userflow users page 1: next_page_url")
			require.Equal(t, 1, e.fake.Requests("/users"), "no page is asked for past the one that names the setting")

			e.cfg.Paging = PagingStartingAfter
			e.fake.ResetRequests()
			rec, err := e.run(t, "content_sessions", lastWeek)
			require.NoError(t, err)
			want := e.fake.SessionsBetween(lastWeek.Start, lastWeek.End)
			require.Greater(t, len(want), 3*e.cfg.PageSize, "the window spans several pages")
			assert.Equal(t, sessionIDs(want), rec.Column(SessionsTable.Name, "id"))
			answers := 0
			for _, s := range want {
				answers += len(s.Answers)
			}
			assert.Len(t, rec.Rows(AnswersTable.Name), answers, "every page's answers")
			assert.Empty(t, rec.Rejects())
			for _, r := range e.fake.RequestLog()[1:] {
				assert.Regexp(t, `^GET /content_sessions\?expand=answers&limit=40&order_by=-last_activity_at&starting_after=[0-9a-f-]{36}$`, r)
			}

			rec, err = e.run(t, "users", window.Window{})
			require.NoError(t, err)
			assert.Len(t, rec.Rows(UsersTable.Name), len(e.fake.Users()))
		})
	}
}

// An API that takes several paths to expand only as expand=a&expand=b
// refuses expand[] with a 400: the content stream fails naming expand_form,
// and with expand_form: repeated every question and task loads.
func TestVariantRepeatedExpand(t *testing.T) {
	e := variantEnv(t, "repeated-expand")
	_, err := e.run(t, "content", window.Window{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), `unknown query parameter \"expand[]\"`)
	assert.Contains(t, err.Error(), "check api_version, page_size, expand_form and paths")

	e.cfg.ExpandForm = ExpandRepeated
	rec, err := e.run(t, "content", window.Window{})
	require.NoError(t, err)
	questions, tasks := 0, 0
	for _, v := range e.fake.Versions() {
		questions += len(v.Questions)
		tasks += len(v.Tasks)
	}
	require.Positive(t, questions)
	require.Positive(t, tasks)
	assert.Len(t, rec.Rows(QuestionsTable.Name), questions)
	assert.Len(t, rec.Rows(TasksTable.Name), tasks)
}

// On plans without Groups the endpoint answers 403 or 404: the groups
// stream is skipped with its reason, the others run.
func TestVariantGroupsNotAvailable(t *testing.T) {
	for variant, status := range map[string]int{"groups-forbidden": http.StatusForbidden, "groups-not-found": http.StatusNotFound} {
		t.Run(variant, func(t *testing.T) {
			e := variantEnv(t, variant)
			rec, err := e.run(t, "groups", window.Window{})
			var skip *engine.SkipError
			require.ErrorAs(t, err, &skip)
			assert.Equal(t, fmt.Sprintf("not available on this plan (HTTP %d)", status), skip.Reason)
			assert.Empty(t, rec.AllRows())
			_, err = e.run(t, "users", window.Window{})
			require.NoError(t, err)
		})
	}
}

// next_page_url is followed only where it stays on base_url and keeps the
// request's parameters.
func TestNextPageProblem(t *testing.T) {
	q := url.Values{"expand": {"answers"}, "order_by": {"-last_activity_at"}, "limit": {"100"}}
	cases := []struct {
		base, next, want string
	}{
		{"https://api.userflow.com", "/content_sessions?expand=answers&limit=100&order_by=-last_activity_at&starting_after=s9", ""},
		{"https://api.userflow.com", "https://api.userflow.com/content_sessions?expand=answers&limit=100&order_by=-last_activity_at&starting_after=s9", ""},
		{"https://api.userflow.com", "/content_sessions?expand[]=answers&limit=100&order_by%5B%5D=-last_activity_at&cursor=c", ""},
		{"https://gw.example.com/userflow", "/content_sessions?expand=answers&limit=100&order_by=-last_activity_at", ""},
		{"https://gw.example.com", "https://api.userflow.com/content_sessions?expand=answers&limit=100&order_by=-last_activity_at", `is not on base_url's https://gw.example.com`},
		{"https://api.userflow.com", "http://api.userflow.com/content_sessions?expand=answers&limit=100&order_by=-last_activity_at", `is not on base_url's https://api.userflow.com`},
		{"https://gw.example.com/userflow", "/userflow/content_sessions?expand=answers&limit=100&order_by=-last_activity_at", "repeats base_url's path /userflow"},
		{"https://api.userflow.com", "/content_sessions?starting_after=s9", "does not keep the request's expand, limit, order_by"},
		{"https://api.userflow.com", "/content_sessions?expand=answers&limit=10&order_by=-last_activity_at", "does not keep the request's limit"},
		{"https://api.userflow.com", "/content_sessions?expand=answers&expand=user&limit=100&order_by=-last_activity_at", "does not keep the request's expand"},
		{"https://api.userflow.com", "%zz", "is not a URL"},
	}
	for _, c := range cases {
		got := nextPageProblem(c.base, q, c.next)
		if c.want == "" {
			assert.Empty(t, got, c.next)
		} else {
			assert.Contains(t, got, c.want, c.next)
		}
	}
}
