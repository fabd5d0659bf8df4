package whatfixfake

import (
	"fmt"
	"hash/fnv"
	"math"
	"math/rand"
	"sort"
	"strconv"
	"strings"
	"time"
)

// The types below are the fake's ground truth; tests read them through the
// accessors on Fake (copies).

// Content is a content item (Content schema of the OpenAPI file).
type Content struct {
	ContentID  string
	Name       string
	Type       string // Flow, Tooltip, TaskList, SmartTip, Beacon, Popup, Survey, Article, Video
	Status     string // Draft, Published, Archived
	TargetURL  string
	CreatedAt  time.Time
	ModifiedAt time.Time
	ViewCount  int
}

// EndUser is an end user (EndUser schema).
type EndUser struct {
	UserID     string
	Email      string
	Name       string
	Attributes map[string]any
	CreatedAt  time.Time
	LastSeenAt time.Time
}

// Segment is a user segment (Segment schema).
type Segment struct {
	SegmentID   string
	Name        string
	Description string
	UserCount   int
	Rules       []map[string]any
}

// AuditEntry is one audit log entry (an assumed shape: no reference shows one).
type AuditEntry struct {
	ID         string
	UserID     string
	UserEmail  string
	Action     string
	EntityType string
	EntityID   string
	Timestamp  time.Time // millisecond precision
	Details    map[string]any
}

// History is how far back the fake holds data.
const History = 120 * 24 * time.Hour

type dataset struct {
	content  []Content
	users    []EndUser
	segments []Segment
	audit    []AuditEntry // by Timestamp, then ID
}

// Names with the characters CSV must quote: commas, quotes, a newline.
var flowNames = []string{
	`Set up "SSO", step by step`,
	"Onboarding: first login",
	"Create invoice, approve & send",
	"Reset password",
	"Quarterly review\n(managers only)",
	"Submit expense report",
	"Book time off",
	"Connect Slack, Teams or email",
	"Export dashboard to PDF",
	"Invite a teammate",
}

var (
	contentKinds = []struct {
		typ   string
		names []string
	}{
		{"Tooltip", []string{"Save button hint", "Filter tips", "Keyboard shortcuts", "Bulk edit"}},
		{"TaskList", []string{"New hire checklist", "Admin setup", "Sales ramp-up"}},
		{"SmartTip", []string{"Date format", "Required fields", "Discount limit", "VAT number", "Cost centre"}},
		{"Beacon", []string{"New reports tab", "Dark mode", "Mobile app"}},
		{"Popup", []string{"Welcome tour", "Release notes 4.2", "Survey: how are we doing?", "Maintenance window"}},
		{"Survey", []string{"NPS Q3"}},
		{"Article", []string{"How billing works", "Security FAQ", "Data retention, explained"}},
		{"Video", []string{"Getting started (2 min)", "Advanced reporting"}},
	}
	statuses    = []string{"Published", "Published", "Published", "Draft", "Archived"}
	firstNames  = []string{"Ana", "Bram", "Chloé", "Deepak", "Eun-ji", "Femi", "Greta", "Hiro", "Inès", "Jonas", "Kaia", "Luis", "Maja", "Noor", "Oskar", "Priya"}
	lastNames   = []string{"Silva", "de Vries", "Martin", "Iyer", "Kim", "Adeyemi", "Berg", "Tanaka", "Dubois", "Weber", "O'Neil", "García", "Nowak", "Haddad", "Lund", "Rao"}
	departments = []string{"Sales", "Finance", "HR", "Engineering", "Support"}
	roles       = []string{"employee", "manager", "admin"}
	regions     = []string{"EMEA", "AMER", "APAC"}
	domains     = []string{"app.acme.example", "crm.acme.example", "hr.acme.example"}
	actions     = []struct{ action, entity string }{
		{"CONTENT_CREATED", "content"}, {"CONTENT_UPDATED", "content"}, {"CONTENT_PUBLISHED", "content"},
		{"CONTENT_DELETED", "content"}, {"USER_LOGIN", "user"}, {"SEGMENT_UPDATED", "segment"},
		{"SETTINGS_CHANGED", "account"}, {"INTEGRATION_KEY_ROTATED", "account"},
	}
)

// rng returns a generator seeded from the fake's seed and the given parts,
// so that any slice of data (a report day, a flow) is the same whatever was
// asked before it.
func rng(seed int64, parts ...string) *rand.Rand {
	h := fnv.New64a()
	fmt.Fprint(h, seed)
	for _, p := range parts {
		h.Write([]byte{0})
		h.Write([]byte(p))
	}
	return rand.New(rand.NewSource(int64(h.Sum64() &^ (1 << 63))))
}

func scaled(base int, scale float64, minimum int) int {
	return max(minimum, int(math.Round(float64(base)*scale)))
}

func id(prefix string, r *rand.Rand) string {
	return fmt.Sprintf("%s-%08x-%04x", prefix, r.Uint32(), r.Intn(1<<16))
}

func generate(seed int64, now time.Time, scale float64) *dataset {
	// Anchor to the day: two fakes started seconds apart (a rerun of the
	// demo) must serve the same history, as a real API would.
	now = now.UTC().Truncate(24 * time.Hour)
	d := &dataset{}
	start := now.Add(-History)
	r := rng(seed, "dataset")
	between := func(a, b time.Time) time.Time {
		if !b.After(a) {
			return a
		}
		return a.Add(time.Duration(r.Int63n(int64(b.Sub(a))))).Truncate(time.Second)
	}

	// Flows first: the per-flow reports fan out over them.
	nFlows := scaled(6, scale, 1)
	for i := 0; i < nFlows; i++ {
		created := between(start, now.Add(-30*24*time.Hour))
		name := flowNames[i%len(flowNames)]
		if i >= len(flowNames) {
			name += " #" + strconv.Itoa(i/len(flowNames)+1)
		}
		d.content = append(d.content, Content{
			ContentID: id("flow", r), Name: name, Type: "Flow", Status: statuses[i%len(statuses)],
			TargetURL: "https://" + domains[i%len(domains)] + "/*", CreatedAt: created,
			ModifiedAt: between(created, now), ViewCount: 100 + r.Intn(5000),
		})
	}
	for _, k := range contentKinds {
		for j, name := range k.names {
			created := between(start, now.Add(-24*time.Hour))
			d.content = append(d.content, Content{
				ContentID: id(strings.ToLower(k.typ), r), Name: name, Type: k.typ, Status: statuses[(j+1)%len(statuses)],
				TargetURL: "https://" + domains[j%len(domains)] + "/" + strings.ToLower(k.typ) + "/*", CreatedAt: created,
				ModifiedAt: between(created, now), ViewCount: r.Intn(3000),
			})
		}
	}

	nUsers := scaled(150, scale, 5)
	for i := 0; i < nUsers; i++ {
		first, last := firstNames[r.Intn(len(firstNames))], lastNames[r.Intn(len(lastNames))]
		created := between(start.Add(-200*24*time.Hour), now.Add(-24*time.Hour))
		attrs := map[string]any{
			"department": departments[r.Intn(len(departments))],
			"role":       roles[r.Intn(len(roles))],
			"region":     regions[r.Intn(len(regions))],
			"seats":      1 + r.Intn(40),
		}
		if i%7 == 0 {
			attrs["manager"] = map[string]any{"id": fmt.Sprintf("u-%05d", r.Intn(nUsers)), "since": created.Format(time.DateOnly)}
		}
		d.users = append(d.users, EndUser{
			UserID: fmt.Sprintf("u-%05d", i), Email: emailOf(first, last, i), Name: first + " " + last,
			Attributes: attrs, CreatedAt: created, LastSeenAt: between(created, now),
		})
	}

	ops := []string{"equals", "notEquals", "contains", "startsWith", "endsWith", "in", "notIn"}
	for i := 0; i < 8; i++ {
		rules := []map[string]any{{"attribute": "department", "operator": ops[i%len(ops)], "value": departments[i%len(departments)]}}
		if i%2 == 1 {
			rules = append(rules, map[string]any{"attribute": "region", "operator": "in", "value": []any{regions[i%3], regions[(i+1)%3]}})
		}
		d.segments = append(d.segments, Segment{
			SegmentID: fmt.Sprintf("seg-%03d", i+1), Name: departments[i%len(departments)] + " " + roles[i%len(roles)] + "s",
			Description: "Users in " + departments[i%len(departments)] + ", rules: " + strconv.Itoa(len(rules)),
			UserCount:   r.Intn(nUsers), Rules: rules,
		})
	}

	// Audit entries: every day starts with one at exactly midnight and has
	// one 30 s later, so windows have entries on both edges.
	seq := 0
	for day := floorDay(start); day.Before(now); day = day.Add(24 * time.Hour) {
		n := scaled(18, scale, 2) + r.Intn(8)
		for i := 0; i < n; i++ {
			at := day.Add(time.Duration(r.Int63n(int64(24*time.Hour))) / time.Millisecond * time.Millisecond)
			switch i {
			case 0:
				at = day
			case 1:
				at = day.Add(30 * time.Second)
			}
			if !at.Before(now) {
				continue
			}
			u := d.users[r.Intn(len(d.users))]
			a := actions[r.Intn(len(actions))]
			entity := u.UserID
			switch a.entity {
			case "content":
				entity = d.content[r.Intn(len(d.content))].ContentID
			case "segment":
				entity = d.segments[r.Intn(len(d.segments))].SegmentID
			case "account":
				entity = "account"
			}
			seq++
			d.audit = append(d.audit, AuditEntry{
				ID: fmt.Sprintf("al-%07d", seq), UserID: u.UserID, UserEmail: u.Email, Action: a.action,
				EntityType: a.entity, EntityID: entity, Timestamp: at,
				Details: map[string]any{"ip": fmt.Sprintf("10.%d.%d.%d", r.Intn(256), r.Intn(256), r.Intn(256)), "source": []string{"dashboard", "api", "editor"}[r.Intn(3)], "changes": r.Intn(5)},
			})
		}
	}
	sort.Slice(d.audit, func(i, j int) bool {
		if c := d.audit[i].Timestamp.Compare(d.audit[j].Timestamp); c != 0 {
			return c < 0
		}
		return d.audit[i].ID < d.audit[j].ID
	})
	return d
}

func emailOf(first, last string, i int) string {
	clean := func(s string) string {
		var b strings.Builder
		for _, r := range strings.ToLower(s) {
			if r >= 'a' && r <= 'z' {
				b.WriteRune(r)
			}
		}
		return b.String()
	}
	return fmt.Sprintf("%s.%s%d@acme.example", clean(first), clean(last), i)
}

func floorDay(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

func (d *dataset) flows() []Content {
	var out []Content
	for _, c := range d.content {
		if c.Type == "Flow" {
			out = append(out, c)
		}
	}
	return out
}

func (d *dataset) contentOf(typ string) []Content {
	var out []Content
	for _, c := range d.content {
		if c.Type == typ {
			out = append(out, c)
		}
	}
	return out
}
