package userflowfake

import (
	"fmt"
	"math"
	"math/rand"
	"sort"
	"strconv"
	"time"
)

// The types below are the fake's ground truth. Tests read them through the
// accessors on Fake (copies), so expected values come from the same records
// the handlers serve.

// User is a Userflow user.
type User struct {
	ID          string
	CreatedAt   time.Time
	Attributes  map[string]any
	Memberships []Membership
}

// Membership links a user to a group.
type Membership struct {
	ID        string
	GroupID   string
	UserID    string
	Role      string
	CreatedAt time.Time
}

// Group is a Userflow group (company).
type Group struct {
	ID         string
	CreatedAt  time.Time
	Attributes map[string]any
}

// Content is a flow, checklist or launcher.
type Content struct {
	ID        string
	Name      string
	Type      string // flow, checklist, launcher
	CreatedAt time.Time
	// DraftVersionID and PublishedVersionID are "" when unset (JSON null).
	DraftVersionID     string
	PublishedVersionID string
}

// Version is a content version. It does not carry its content id on the
// wire; ContentID is ground truth only.
type Version struct {
	ID          string
	ContentID   string
	Number      int
	Description string // "" = null
	CreatedAt   time.Time
	EditedAt    *time.Time
	Questions   []Question // flows only
	Tasks       []Task     // checklists only
}

// Question is a survey question of a flow version.
type Question struct {
	ID, CVID, Name, Type string
}

// Task is a checklist task.
type Task struct {
	ID, CVID, Name string
}

// Session is a content session.
type Session struct {
	ID                string
	ContentID         string
	UserID            string
	GroupID           string // "" = null
	VersionID         string
	CreatedAt         time.Time
	LastActivityAt    time.Time
	Completed         bool
	CompletedAt       *time.Time
	Progress          string // decimal string, "1" = done
	IsPreview         bool
	LauncherActivated bool
	Answers           []Answer
}

// Answer is a survey answer of a flow session.
type Answer struct {
	ID           string
	QuestionCVID string
	QuestionName string
	AnswerType   string // text, number, list
	// AnswerValue is a string for text and number answers and a []string
	// for list answers, exactly as the API sends it.
	AnswerValue any
	CreatedAt   time.Time
}

// AttributeDefinition is one attribute the account uses.
type AttributeDefinition struct {
	ID, DataType, Description, DisplayName, Name, Scope string
	CreatedAt                                           time.Time
	EventNames                                          []string // for scope=event: events that carry it
}

// EventDefinition is one event name the account tracks.
type EventDefinition struct {
	ID, Description, DisplayName, Name string
	CreatedAt                          time.Time
}

func (s Session) clone() Session {
	out := s
	if s.CompletedAt != nil {
		t := *s.CompletedAt
		out.CompletedAt = &t
	}
	out.Answers = make([]Answer, len(s.Answers))
	for i, a := range s.Answers {
		out.Answers[i] = a
		if l, ok := a.AnswerValue.([]string); ok {
			out.Answers[i].AnswerValue = append([]string(nil), l...)
		}
	}
	return out
}

// dataset is everything the fake serves.
type dataset struct {
	users     []User // sorted by CreatedAt
	groups    []Group
	content   []Content
	versions  []Version // grouped by content, ascending number
	sessions  []Session
	attrDefs  []AttributeDefinition
	eventDefs []EventDefinition
}

type generator struct {
	rng *rand.Rand
	now time.Time
}

func (g *generator) uuid() string {
	r := g.rng
	return fmt.Sprintf("%08x-%04x-4%03x-%04x-%012x",
		r.Uint32(), r.Intn(1<<16), r.Intn(1<<12), 0x8000|r.Intn(1<<14), r.Int63n(1<<48))
}

// between returns a second-precision instant uniformly in [a, b).
func (g *generator) between(a, b time.Time) time.Time {
	span := int64(b.Sub(a) / time.Second)
	if span <= 0 {
		return a
	}
	return a.Add(time.Duration(g.rng.Int63n(span)) * time.Second)
}

// Text answers deliberately carry what breaks naive CSV and JSON handling.
var textAnswers = []string{
	"I really like your app!",
	"Love it, but the export button is hard to find",
	`The "Reports" tab is confusing`,
	"Line one\nLine two\nLine three",
	"Très bien 👍 — ça marche",
	"使いやすいです",
	"Needs dark mode, please!!",
	`She said "it's fine", then left`,
	"Comma, separated, thoughts",
	"Tab\tseparated and a backslash \\ too",
	"ok",
	"Ünïcödé ñame — «quotes»",
}

var choiceOptions = []string{"Reporting", "Dashboards", "Integrations", "Yes, definitely", "Not sure", "Mobile app"}

var (
	firstNames = []string{"Annabelle", "Maxie", "Evelyn", "Nathaniel", "Zoë", "José", "Ana", "Björn", "Mei", "Olu", "Priya", "Sean"}
	lastNames  = []string{"Terry", "Kris", "Reichert", "Harvey", "O'Brien", "García", "Müller", "Chen", "Adeyemi", "Iyer", "Smith", "Nowak"}
	plans      = []string{"free", "starter", "plus", "enterprise"}
	roles      = []string{"admin", "member", "viewer"}
)

var contentNames = map[string][]string{
	"flow":      {"Welcome tour", "Reports walkthrough", "NPS survey", "Feature feedback", "Invite teammates", "Billing setup", "Dashboard intro", "Exit survey"},
	"checklist": {"Getting started", "Admin setup", "Power user checklist"},
	"launcher":  {"Help beacon", "New: exports", "Tooltip: filters"},
}

var questionKinds = []string{"text", "multiline_text", "nps", "stars", "multiple_choice"}

const historyDays = 120

func generate(seed int64, now time.Time, scale float64) *dataset {
	// Anchor to the day: two fakes started seconds apart (a rerun of the
	// demo) must serve the same history, as a real API would.
	now = now.UTC().Truncate(24 * time.Hour)
	g := &generator{rng: rand.New(rand.NewSource(seed)), now: now}
	historyStart := now.Add(-historyDays * 24 * time.Hour)
	d := &dataset{}
	g.groupsAndUsers(d, scale, historyStart)
	g.contentAndVersions(d, scale, historyStart)
	g.sessions(d, scale, historyStart)
	g.definitions(d)
	return d
}

func scaled(base int, scale float64, minimum int) int {
	n := int(math.Round(float64(base) * scale))
	if n < minimum {
		return minimum
	}
	return n
}

func (g *generator) groupsAndUsers(d *dataset, scale float64, historyStart time.Time) {
	nGroups := scaled(20, scale, 2)
	for i := 0; i < nGroups; i++ {
		created := g.between(historyStart.AddDate(-1, 0, 0), historyStart)
		d.groups = append(d.groups, Group{
			ID:        g.uuid(),
			CreatedAt: created,
			Attributes: map[string]any{
				"name":         fmt.Sprintf("%s %s", lastNames[g.rng.Intn(len(lastNames))], []string{"Inc.", "GmbH", "Ltd", "& Co"}[g.rng.Intn(4)]),
				"billing_plan": plans[g.rng.Intn(len(plans))],
				"signed_up_at": formatTime(created.Add(-time.Duration(g.rng.Intn(90*24)) * time.Hour)),
			},
		})
	}
	nUsers := scaled(150, scale, 10)
	for i := 0; i < nUsers; i++ {
		var created time.Time
		if i == 0 || g.rng.Float64() < 0.85 {
			created = g.between(historyStart.AddDate(-1, 0, 0), historyStart)
		} else {
			created = g.between(historyStart, g.now)
		}
		first, last := firstNames[g.rng.Intn(len(firstNames))], lastNames[g.rng.Intn(len(lastNames))]
		attrs := map[string]any{
			"project_count":  float64(g.rng.Intn(40)),
			"email_verified": g.rng.Float64() < 0.8,
			"plan":           plans[g.rng.Intn(len(plans))],
			"signed_up_at":   formatTime(created.Add(-time.Duration(g.rng.Intn(48)) * time.Hour)),
			"mrr":            math.Round(g.rng.Float64()*50000) / 100,
		}
		// Some users were identified without email or name: the columns are
		// nullable for that reason.
		if g.rng.Float64() < 0.9 {
			attrs["email"] = fmt.Sprintf("%s.%d@example.com", lowerASCII(first), i)
		}
		if g.rng.Float64() < 0.9 {
			attrs["name"] = first + " " + last
		}
		if g.rng.Float64() < 0.5 {
			attrs["tags"] = []any{"beta", plans[g.rng.Intn(len(plans))]}
		}
		if g.rng.Float64() < 0.7 {
			attrs["last_seen_at"] = formatTime(g.between(created, g.now))
		}
		u := User{ID: g.uuid(), CreatedAt: created, Attributes: attrs}
		for _, gi := range g.rng.Perm(len(d.groups))[:g.rng.Intn(3)] {
			u.Memberships = append(u.Memberships, Membership{
				ID: g.uuid(), GroupID: d.groups[gi].ID, UserID: u.ID,
				Role: roles[g.rng.Intn(len(roles))], CreatedAt: laterOf(created, d.groups[gi].CreatedAt),
			})
		}
		d.users = append(d.users, u)
	}
	sort.SliceStable(d.users, func(i, j int) bool { return d.users[i].CreatedAt.Before(d.users[j].CreatedAt) })
}

func (g *generator) contentAndVersions(d *dataset, scale float64, historyStart time.Time) {
	n := scaled(12, scale, 3)
	used := map[string]int{}
	for i := 0; i < n; i++ {
		// Every type shows up even at tiny scales; 12 objects give 6 flows,
		// 3 checklists and 3 launchers.
		typ := []string{"flow", "checklist", "launcher", "flow"}[i%4]
		names := contentNames[typ]
		name := names[used[typ]%len(names)]
		if used[typ] >= len(names) {
			name = fmt.Sprintf("%s %d", name, used[typ]/len(names)+1)
		}
		used[typ]++
		created := g.between(historyStart.AddDate(0, -8, 0), historyStart.AddDate(0, -2, 0))
		c := Content{ID: g.uuid(), Name: name, Type: typ, CreatedAt: created}

		// Cross-version ids of the logically same questions and tasks.
		type slot struct{ cvid, name, kind string }
		var qslots, tslots []slot
		if typ == "flow" {
			for q := 0; q < 2+g.rng.Intn(3); q++ {
				kind := questionKinds[(i+q)%len(questionKinds)]
				qslots = append(qslots, slot{g.uuid(), questionName(kind, q), kind})
			}
		}
		if typ == "checklist" {
			for t := 0; t < 3+g.rng.Intn(3); t++ {
				tslots = append(tslots, slot{g.uuid(), fmt.Sprintf("Task %d", t+1), ""})
			}
		}
		nv := 1 + g.rng.Intn(3)
		at := created
		for v := 1; v <= nv; v++ {
			at = g.between(at, historyStart.AddDate(0, 0, -1))
			ver := Version{ID: g.uuid(), ContentID: c.ID, Number: v, CreatedAt: at}
			if g.rng.Float64() < 0.6 {
				ver.Description = fmt.Sprintf("v%d: %s", v, []string{"copy edits", "new step", "retargeted, \"pro\" users only", "fixed typo"}[g.rng.Intn(4)])
			}
			if g.rng.Float64() < 0.8 {
				e := g.between(at, historyStart)
				ver.EditedAt = &e
			}
			for _, s := range qslots {
				ver.Questions = append(ver.Questions, Question{ID: g.uuid(), CVID: s.cvid, Name: s.name, Type: s.kind})
			}
			for _, s := range tslots {
				ver.Tasks = append(ver.Tasks, Task{ID: g.uuid(), CVID: s.cvid, Name: s.name})
			}
			d.versions = append(d.versions, ver)
		}
		last := d.versions[len(d.versions)-1]
		c.DraftVersionID = last.ID
		c.PublishedVersionID = last.ID
		if nv > 1 && g.rng.Float64() < 0.5 {
			// A draft in progress: the published version is the one before.
			c.PublishedVersionID = d.versions[len(d.versions)-2].ID
		}
		if i == n-1 && n >= 6 {
			c.PublishedVersionID = "" // never published: only previews
		}
		d.content = append(d.content, c)
	}
}

func questionName(kind string, i int) string {
	switch kind {
	case "nps":
		return "How likely are you to recommend us?"
	case "stars":
		return "Rate this feature"
	case "multiple_choice":
		return "What do you use most?"
	case "multiline_text":
		return "Anything else, in your own words?"
	}
	return fmt.Sprintf("Feedback %d", i+1)
}

func (g *generator) sessions(d *dataset, scale float64, historyStart time.Time) {
	perDay := scaled(150, scale, 1)
	byID := map[string]Version{}
	for _, v := range d.versions {
		byID[v.ID] = v
	}
	for day := historyStart; day.Before(g.now); day = day.Add(24 * time.Hour) {
		n := perDay * (80 + g.rng.Intn(41)) / 100
		if wd := day.Weekday(); wd == time.Saturday || wd == time.Sunday {
			n = n * 6 / 10
		}
		if n < 1 {
			n = 1
		}
		end := day.Add(24 * time.Hour)
		if end.After(g.now) {
			end = g.now
		}
		for k := 0; k < n; k++ {
			created := g.between(day, end)
			c := d.content[g.rng.Intn(len(d.content))]
			s := Session{ID: g.uuid(), ContentID: c.ID, CreatedAt: created}
			// Users can only see content after they exist.
			eligible := sort.Search(len(d.users), func(i int) bool { return d.users[i].CreatedAt.After(created) })
			if eligible == 0 {
				eligible = 1
			}
			u := d.users[g.rng.Intn(eligible)]
			s.UserID = u.ID
			if len(u.Memberships) > 0 && g.rng.Float64() < 0.6 {
				s.GroupID = u.Memberships[g.rng.Intn(len(u.Memberships))].GroupID
			}
			s.IsPreview = c.PublishedVersionID == "" || g.rng.Float64() < 0.02
			s.VersionID = c.PublishedVersionID
			if s.IsPreview {
				s.VersionID = c.DraftVersionID
			}
			g.sessionState(&s, c.Type, byID[s.VersionID])
			d.sessions = append(d.sessions, s)
		}
	}
}

func (g *generator) sessionState(s *Session, typ string, v Version) {
	var dur time.Duration
	switch typ {
	case "flow":
		dur = time.Duration(10+g.rng.Intn(1800)) * time.Second
	case "checklist":
		dur = time.Duration(g.rng.Intn(10*24*3600)) * time.Second
	default:
		dur = time.Duration(g.rng.Intn(60)) * time.Second
	}
	s.LastActivityAt = s.CreatedAt.Add(dur)
	if s.LastActivityAt.After(g.now) {
		// Still running: last seen somewhere before now, not all at now.
		s.LastActivityAt = g.between(s.CreatedAt, g.now.Add(time.Second))
	}
	switch typ {
	case "launcher":
		s.LauncherActivated = g.rng.Float64() < 0.4
		s.Progress = "0"
		if s.LauncherActivated {
			s.Progress = "1"
		}
	case "checklist":
		total := len(v.Tasks)
		done := g.rng.Intn(total + 1)
		s.Progress = decimal(float64(done) / float64(total))
	default:
		steps := 5
		done := g.rng.Intn(steps + 3) // weighted towards completion
		if done > steps {
			done = steps
		}
		s.Progress = decimal(float64(done) / float64(steps))
	}
	if s.Progress == "1" && typ != "launcher" {
		s.Completed = true
		t := s.LastActivityAt
		s.CompletedAt = &t
	}
	if typ != "flow" {
		return
	}
	p, _ := strconv.ParseFloat(s.Progress, 64)
	for i, q := range v.Questions {
		// Questions come in step order: only reached questions are answered.
		if float64(i+1)/float64(len(v.Questions)+1) > p+0.2 || g.rng.Float64() < 0.15 {
			continue
		}
		a := Answer{ID: g.uuid(), QuestionCVID: q.CVID, QuestionName: q.Name, CreatedAt: g.between(s.CreatedAt, s.LastActivityAt.Add(time.Second))}
		switch q.Type {
		case "nps":
			a.AnswerType, a.AnswerValue = "number", strconv.Itoa(g.rng.Intn(11))
		case "stars":
			a.AnswerType, a.AnswerValue = "number", decimal(float64(2+g.rng.Intn(9))/2) // 1..5 in halves
		case "multiple_choice":
			picked := []string{}
			for _, j := range g.rng.Perm(len(choiceOptions))[:1+g.rng.Intn(3)] {
				picked = append(picked, choiceOptions[j])
			}
			a.AnswerType, a.AnswerValue = "list", picked
		default:
			a.AnswerType, a.AnswerValue = "text", textAnswers[g.rng.Intn(len(textAnswers))]
		}
		s.Answers = append(s.Answers, a)
	}
}

func (g *generator) definitions(d *dataset) {
	base := g.now.AddDate(-2, 0, 0)
	attrs := []struct{ name, display, typ, scope string }{
		{"email", "Email", "string", "user"},
		{"name", "Name", "string", "user"},
		{"email_verified", "Email Verified", "boolean", "user"},
		{"project_count", "Project Count", "number", "user"},
		{"plan", "Plan", "string", "user"},
		{"signed_up_at", "Signed Up", "datetime", "user"},
		{"last_seen_at", "Last Seen", "datetime", "user"},
		{"mrr", "MRR", "number", "user"},
		{"tags", "Tags", "list", "user"},
		{"name", "Name", "string", "group"},
		{"billing_plan", "Billing Plan", "string", "group"},
		{"signed_up_at", "Signed Up", "datetime", "group"},
		{"role", "Role", "string", "group_membership"},
		{"flow_id", "Flow", "content", "event"},
		{"plan_price", "Plan Price", "number", "event"},
	}
	for i, a := range attrs {
		def := AttributeDefinition{
			ID: g.uuid(), Name: a.name, DisplayName: a.display, DataType: a.typ, Scope: a.scope,
			Description: "", CreatedAt: base.Add(time.Duration(i) * 36 * time.Hour),
		}
		if a.name == "signed_up_at" {
			def.Description = "When user first signed up in your app"
		}
		switch a.name {
		case "flow_id":
			def.EventNames = []string{"flow_started", "flow_completed"}
		case "plan_price":
			def.EventNames = []string{"subscription_activated"}
		}
		d.attrDefs = append(d.attrDefs, def)
	}
	events := []struct{ name, display, desc string }{
		{"flow_started", "Flow Started", "A Userflow flow was started"},
		{"flow_completed", "Flow Completed", "A Userflow flow was completed"},
		{"checklist_task_completed", "Checklist Task Completed", ""},
		{"subscription_activated", "Subscription Activated", "Customer started paying"},
		{"report_exported", "Report Exported", ""},
	}
	for i, e := range events {
		d.eventDefs = append(d.eventDefs, EventDefinition{
			ID: g.uuid(), Name: e.name, DisplayName: e.display, Description: e.desc,
			CreatedAt: base.Add(time.Duration(i) * 48 * time.Hour),
		})
	}
}

func decimal(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

func laterOf(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func lowerASCII(s string) string {
	out := make([]rune, 0, len(s))
	for _, r := range s {
		switch {
		case r >= 'A' && r <= 'Z':
			out = append(out, r+'a'-'A')
		case r >= 'a' && r <= 'z':
			out = append(out, r)
		}
	}
	return string(out)
}

// formatTime renders the API's timestamp form, 2022-10-17T12:34:56.000+00:00.
func formatTime(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05.000") + "+00:00"
}
