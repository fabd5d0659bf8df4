package userflow

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/adoptionlabs/etl/extract"
	"github.com/adoptionlabs/etl/extract/httpclient"
	"github.com/adoptionlabs/etl/extract/userflow/internal/sessionpage"
	"github.com/adoptionlabs/etl/transform"
)

// checkSessions is how many sessions etl check asks for a page: few, and
// enough that one of them is likely a flow session with answers.
const checkSessions = 5

var _ extract.Checker = (*Config)(nil)

// Check tests what the reference leaves open, and what the streams rely
// on, against the live API (etl check): at most two small requests per
// endpoint, through the client and rate limit the streams use.
func (c *Config) Check(ctx context.Context, env extract.Env) ([]extract.Finding, error) {
	if err := c.Validate(); err != nil {
		return nil, fmt.Errorf("userflow: %w", err)
	}
	s, err := c.newSource(env)
	if err != nil {
		return nil, err
	}
	content, contentID, isFlow := s.checkContent(ctx)
	return []extract.Finding{
		s.checkSessions(ctx),
		content,
		s.checkVersions(ctx, contentID, isFlow),
		s.checkSnapshot(ctx, "users", s.cfg.Paths.Users),
		s.checkSnapshot(ctx, "groups", s.cfg.Paths.Groups),
		s.checkSnapshot(ctx, "attribute_definitions", s.cfg.Paths.AttributeDefinitions),
		s.checkSnapshot(ctx, "event_definitions", s.cfg.Paths.EventDefinitions),
	}, nil
}

func (s *source) finding(endpoint, path string) extract.Finding {
	return extract.Finding{Endpoint: endpoint, URL: strings.TrimSuffix(s.client.BaseURL(), "/") + path}
}

// page asks for one page of an endpoint's list (path may carry its query,
// as next_page_url does) and checks that it is a list object; what it
// learns goes into f. It is nil when the request failed or the answer is
// not a list.
func (s *source) page(ctx context.Context, f *extract.Finding, endpoint, path string, q url.Values) *checkedList {
	var raw json.RawMessage
	if err := s.client.JSON(ctx, httpclient.Request{Path: path, Query: q}, &raw); err != nil {
		s.explain(f, endpoint, err)
		return nil
	}
	reachable := fmt.Sprintf("reachable, key (Authorization: Bearer) and Userflow-Version %s accepted", s.cfg.APIVersion)
	if !slices.Contains(f.Held, reachable) {
		f.Held = slices.Insert(f.Held, 0, reachable)
	}
	keys := httpclient.Keys(raw)
	var l checkedList
	if json.Unmarshal(raw, &l.listPage) != nil || l.Object != "list" {
		f.Wrong = append(f.Wrong, fmt.Sprintf("not a list object (object %q, keys %s): check base_url and paths.%s", l.Object, httpclient.JoinKeys(keys), endpoint))
		return nil
	}
	var missing []string
	for _, k := range []string{"data", "has_more"} {
		if !slices.Contains(keys, k) {
			missing = append(missing, k)
		}
	}
	if len(missing) > 0 {
		f.Wrong = append(f.Wrong, fmt.Sprintf("response keys %s lack %s: check base_url and paths.%s", httpclient.JoinKeys(keys), strings.Join(missing, ", "), endpoint))
		return nil
	}
	const found = `response keys: object "list", data, has_more found`
	if !slices.Contains(f.Held, found) {
		f.Held = append(f.Held, found)
	}
	for _, item := range l.Data {
		id, _ := sessionpage.Position(item)
		l.ids = append(l.ids, id)
	}
	return &l
}

// checkedList is a list page as etl check reads it.
type checkedList struct {
	listPage
	ids []string // the items' ids, "" where an item has none
}

// explain says what a failed request means, what to change first. Groups
// missing from the plan (403 or 404 on groups) is what the groups stream
// skips with a notice: not a wrong guess.
func (s *source) explain(f *extract.Finding, endpoint string, err error) {
	var se *httpclient.StatusError
	if !errors.As(err, &se) {
		f.Wrong = append(f.Wrong, "request failed: "+err.Error())
		return
	}
	var fix string
	switch {
	case endpoint == "groups" && (se.Status == http.StatusForbidden || se.Status == http.StatusNotFound):
		what := fmt.Sprintf("not available on this plan (HTTP %d): the groups stream is skipped with a notice", se.Status)
		if se.Status == http.StatusNotFound {
			what += " (if the plan has Groups, check paths.groups)"
		}
		f.Held = append(f.Held, what)
		return
	case se.Status == http.StatusUnauthorized:
		fix = "key refused: check " + EnvAPIKey
	case se.Status == http.StatusBadRequest && strings.Contains(se.Body, "Userflow-Version"):
		fix = fmt.Sprintf("Userflow-Version %s refused: set userflow api_version", s.cfg.APIVersion)
	case se.Status == http.StatusBadRequest && strings.Contains(se.Body, "expand"):
		fix = fmt.Sprintf("the expand form (%s) was refused: set userflow expand_form: %s", s.cfg.ExpandForm, otherExpandForm(s.cfg.ExpandForm))
	case se.Status == http.StatusBadRequest:
		fix = "the request was refused: check page_size and paths." + endpoint
	case se.Status == http.StatusForbidden:
		fix = "access denied: the key's plan or environment does not allow this endpoint"
	case se.Status == http.StatusNotFound:
		fix = "wrong path? check base_url and paths." + endpoint
	default:
		fix = "the API failed"
	}
	f.Wrong = append(f.Wrong, fix+" ("+err.Error()+")")
}

func otherExpandForm(form string) string {
	if form == ExpandArray {
		return ExpandRepeated
	}
	return ExpandArray
}

func otherPaging(paging string) string {
	if paging == PagingNextPageURL {
		return PagingStartingAfter
	}
	return PagingNextPageURL
}

// paging reports how the walk would ask for the page after l, the first
// page of a request with parameters q: next_page_url must be usable
// (nextPageProblem) unless paging is starting_after. It returns the next
// page's path and query, or "" when there is none to ask for.
func (s *source) paging(f *extract.Finding, path string, q url.Values, l *checkedList) string {
	if !l.HasMore {
		if l.NextPageURL != "" {
			f.Held = append(f.Held, "paging: next_page_url found")
		}
		f.Unknown = append(f.Unknown, fmt.Sprintf("paging: one page only (%d items): the next page cannot be asked for", len(l.Data)))
		return ""
	}
	last := ""
	if n := len(l.ids); n > 0 {
		last = l.ids[n-1]
	}
	after := func() string {
		if last == "" {
			f.Wrong = append(f.Wrong, "paging: has_more, but the last item has no id to page after (starting_after)")
			return ""
		}
		return startingAfter(path, q, last)
	}
	switch {
	case s.cfg.Paging == PagingStartingAfter:
		f.Held = append(f.Held, "paging: starting_after=<last id> (paging: starting_after; next_page_url is not followed)")
		return after()
	case l.NextPageURL == "":
		f.Unknown = append(f.Unknown, "paging: has_more without next_page_url (the reference says it is always set): the walk pages with starting_after=<last id>")
		return after()
	}
	if problem := nextPageProblem(s.client.BaseURL(), q, l.NextPageURL); problem != "" {
		f.Wrong = append(f.Wrong, fmt.Sprintf("paging: %s: set userflow paging: %s", problem, PagingStartingAfter))
		return ""
	}
	form := "relative to base_url"
	if u, err := url.Parse(l.NextPageURL); err == nil && u.IsAbs() {
		form = "absolute, on base_url's host"
	}
	f.Held = append(f.Held, fmt.Sprintf("paging: next_page_url found, %s, keeping the request's parameters", form))
	return l.NextPageURL
}

// checkSnapshot reads one item of a list the snapshot streams walk whole.
func (s *source) checkSnapshot(ctx context.Context, endpoint, path string) extract.Finding {
	f := s.finding(endpoint, path)
	q := url.Values{"limit": {"1"}}
	if l := s.page(ctx, &f, endpoint, path, q); l != nil {
		s.paging(&f, path, q, l)
	}
	return f
}

// checkContent finds a content object whose versions checkVersions asks
// for: a flow if there is one (only flows have questions).
func (s *source) checkContent(ctx context.Context) (f extract.Finding, id string, isFlow bool) {
	path := s.cfg.Paths.Content
	f = s.finding("content", path)
	for _, q := range []url.Values{{"type": {"flow"}, "limit": {"1"}}, {"limit": {"1"}}} {
		l := s.page(ctx, &f, "content", path, q)
		if l == nil {
			return f, "", false
		}
		if len(l.ids) > 0 {
			s.paging(&f, path, q, l)
			return f, l.ids[0], q.Has("type")
		}
	}
	f.Unknown = append(f.Unknown, "no content in the account: versions cannot be asked for")
	return f, "", false
}

// checkVersions asks for one version of the content object id with its
// questions and tasks expanded, in expand_form.
func (s *source) checkVersions(ctx context.Context, id string, isFlow bool) extract.Finding {
	const endpoint = "content_versions"
	path := s.cfg.Paths.ContentVersions
	f := s.finding(endpoint, path)
	if id == "" {
		f.Unknown = append(f.Unknown, "no content object to list the versions of")
		return f
	}
	q := url.Values{"content_id": {id}, "limit": {"1"}}
	s.expand(q, "questions", "tasks")
	l := s.page(ctx, &f, endpoint, path, q)
	if l == nil {
		return f
	}
	sent := "expand[]=questions&expand[]=tasks"
	if s.cfg.ExpandForm == ExpandRepeated {
		sent = "expand=questions&expand=tasks"
	}
	if len(l.Data) == 0 {
		f.Unknown = append(f.Unknown, fmt.Sprintf("content %s has no versions: %s not tested", id, sent))
		return f
	}
	var v struct {
		Questions, Tasks json.RawMessage
	}
	_ = json.Unmarshal(l.Data[0], &v)
	isList := func(raw json.RawMessage) bool { return bytes.HasPrefix(bytes.TrimSpace(raw), []byte("[")) }
	switch {
	case isList(v.Questions) && isList(v.Tasks):
		f.Held = append(f.Held, fmt.Sprintf("expand_form %s: %s honoured (questions and tasks expanded)", s.cfg.ExpandForm, sent))
	case isFlow && !isList(v.Questions):
		f.Wrong = append(f.Wrong, fmt.Sprintf("%s was not honoured (a flow version's questions are not expanded): set userflow expand_form: %s",
			sent, otherExpandForm(s.cfg.ExpandForm)))
	case !isList(v.Questions) && !isList(v.Tasks):
		f.Unknown = append(f.Unknown, fmt.Sprintf("%s: neither questions nor tasks came back expanded on a version of content %s (not a flow): cannot tell", sent, id))
	default:
		f.Held = append(f.Held, fmt.Sprintf("expand_form %s: %s honoured", s.cfg.ExpandForm, sent))
	}
	s.paging(&f, path, q, l)
	return f
}

// checkSessions reads the first page of the session walk, small, and the
// page after it as the walk would ask for it: the answers expanded, the
// paging marker usable, the cursor and the order honoured.
func (s *source) checkSessions(ctx context.Context) extract.Finding {
	const endpoint = "content_sessions"
	path := s.cfg.Paths.ContentSessions
	f := s.finding(endpoint, path)
	q := url.Values{"order_by": {"-last_activity_at"}, "limit": {strconv.Itoa(checkSessions)}}
	s.expand(q, "answers")
	first := s.page(ctx, &f, endpoint, path, q)
	if first == nil {
		return f
	}
	if n := len(first.Data); n > checkSessions {
		f.Unknown = append(f.Unknown, fmt.Sprintf("limit=%d ignored (%d sessions came back): the walk reads on either way", checkSessions, n))
	}
	sessions, ok := checkedSessions(first, &f)
	if !ok {
		return f
	}
	answers, expanded := 0, 0
	for _, it := range sessions {
		if it.Answers != nil {
			expanded++
			answers += len(it.Answers)
		}
	}
	switch {
	case len(sessions) == 0:
		f.Unknown = append(f.Unknown, "no sessions in the account: expand=answers, the paging and the order cannot be tested")
		return f
	case expanded > 0:
		f.Held = append(f.Held, fmt.Sprintf("expand=answers returns answers (%d on %d sessions)", answers, len(sessions)))
	default:
		// Only flow sessions have answers: null on all might be checklists.
		f.Unknown = append(f.Unknown, fmt.Sprintf("expand=answers: answers is null on all %d sessions (only flow sessions have answers; if these are flows, answers would not load)", len(sessions)))
	}
	next := s.paging(&f, path, q, first)
	if next == "" {
		return f
	}
	how := "next_page_url"
	if s.cfg.Paging == PagingStartingAfter || first.NextPageURL == "" {
		how = "starting_after=" + first.ids[len(first.ids)-1]
	}
	second := s.page(ctx, &f, endpoint, next, nil)
	if second == nil {
		return f
	}
	more, ok := checkedSessions(second, &f)
	if !ok {
		return f
	}
	if len(more) == 0 {
		f.Unknown = append(f.Unknown, "paging: the page after the first is empty although has_more said otherwise; the walk ends there")
		return f
	}
	fix := "set userflow paging: " + otherPaging(s.cfg.Paging)
	prev := sessions[len(sessions)-1]
	if slices.Contains(first.ids, more[0].ID) {
		f.Wrong = append(f.Wrong, fmt.Sprintf("paging: the page after the first (%s) repeats session %s: the cursor is not honoured: %s", how, more[0].ID, fix))
		return f
	}
	t0, err0 := transform.ParseRFC3339(prev.LastActivityAt)
	t1, err1 := transform.ParseRFC3339(more[0].LastActivityAt)
	if err0 != nil || err1 != nil || t1.After(t0) {
		f.Wrong = append(f.Wrong, fmt.Sprintf("paging: the page after the first (%s) starts at last_activity_at %q, after the first page's last %q: order_by=-last_activity_at is not kept: %s",
			how, more[0].LastActivityAt, prev.LastActivityAt, fix))
		return f
	}
	f.Held = append(f.Held, fmt.Sprintf("paging: the page after the first (%s) goes on after it, newest activity first", how))
	return f
}

// checkedSessions decodes a page's sessions as the walk does; a session
// the walk would reject is a wrong guess about the item's shape.
func checkedSessions(l *checkedList, f *extract.Finding) ([]sessionpage.RawItem, bool) {
	out := make([]sessionpage.RawItem, 0, len(l.Data))
	for _, raw := range l.Data {
		it, err := decodeItem[sessionpage.RawItem](raw)
		if err == nil && it.ID == "" {
			err = errors.New("no id")
		}
		if err == nil {
			_, err = transform.ParseRFC3339(it.LastActivityAt)
		}
		if err != nil {
			f.Wrong = append(f.Wrong, fmt.Sprintf("a session is not of the content session shape (%v; keys %s): it would be rejected", err, httpclient.JoinKeys(httpclient.Keys(raw))))
			return nil, false
		}
		out = append(out, it)
	}
	return out, true
}
