package userflowfake

import "strings"

// Wire shapes, field for field as the API reference prints them. Expandable
// fields are always present and null unless expanded.

type expansion map[string]bool

// has reports whether path, or something below it, was asked for.
func (e expansion) has(path string) bool {
	for k := range e {
		if k == path || strings.HasPrefix(k, path+".") {
			return true
		}
	}
	return false
}

// below returns the expansions nested under path (memberships.group -> group).
func (e expansion) below(path string) expansion {
	out := expansion{}
	for k := range e {
		if rest, ok := strings.CutPrefix(k, path+"."); ok {
			out[rest] = true
		}
	}
	return out
}

func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

type listJSON struct {
	Object      string `json:"object"`
	Data        []any  `json:"data"`
	HasMore     bool   `json:"has_more"`
	URL         string `json:"url"`
	NextPageURL string `json:"next_page_url"`
}

type userJSON struct {
	ID          string           `json:"id"`
	Object      string           `json:"object"`
	Attributes  map[string]any   `json:"attributes"`
	CreatedAt   string           `json:"created_at"`
	Groups      []groupJSON      `json:"groups"`
	Memberships []membershipJSON `json:"memberships"`
}

type groupJSON struct {
	ID          string           `json:"id"`
	Object      string           `json:"object"`
	Attributes  map[string]any   `json:"attributes"`
	CreatedAt   string           `json:"created_at"`
	Memberships []membershipJSON `json:"memberships"`
	Users       []userJSON       `json:"users"`
}

type membershipJSON struct {
	ID         string         `json:"id"`
	Object     string         `json:"object"`
	Attributes map[string]any `json:"attributes"`
	CreatedAt  string         `json:"created_at"`
	Group      *groupJSON     `json:"group"`
	GroupID    string         `json:"group_id"`
	User       *userJSON      `json:"user"`
	UserID     string         `json:"user_id"`
}

type contentJSON struct {
	ID                 string       `json:"id"`
	Object             string       `json:"object"`
	CreatedAt          string       `json:"created_at"`
	DraftVersionID     *string      `json:"draft_version_id"`
	DraftVersion       *versionJSON `json:"draft_version"`
	Name               string       `json:"name"`
	PublishedVersionID *string      `json:"published_version_id"`
	PublishedVersion   *versionJSON `json:"published_version"`
	Type               string       `json:"type"`
}

type versionJSON struct {
	ID          string         `json:"id"`
	Object      string         `json:"object"`
	CreatedAt   string         `json:"created_at"`
	Description *string        `json:"description"`
	EditedAt    *string        `json:"edited_at"`
	Number      int            `json:"number"`
	Questions   []questionJSON `json:"questions"`
	Tasks       []taskJSON     `json:"tasks"`
}

type questionJSON struct {
	ID     string `json:"id"`
	Object string `json:"object"`
	CVID   string `json:"cvid"`
	Name   string `json:"name"`
	Type   string `json:"type"`
}

type taskJSON struct {
	ID     string `json:"id"`
	Object string `json:"object"`
	CVID   string `json:"cvid"`
	Name   string `json:"name"`
}

type sessionJSON struct {
	ID                string       `json:"id"`
	Object            string       `json:"object"`
	Answers           []answerJSON `json:"answers"`
	CompletedAt       *string      `json:"completed_at"`
	Completed         bool         `json:"completed"`
	ContentID         string       `json:"content_id"`
	Content           *contentJSON `json:"content"`
	CreatedAt         string       `json:"created_at"`
	GroupID           *string      `json:"group_id"`
	Group             *groupJSON   `json:"group"`
	IsPreview         bool         `json:"is_preview"`
	LastActivityAt    string       `json:"last_activity_at"`
	LauncherActivated bool         `json:"launcher_activated"`
	Progress          string       `json:"progress"`
	UserID            string       `json:"user_id"`
	User              *userJSON    `json:"user"`
	VersionID         string       `json:"version_id"`
	Version           *versionJSON `json:"version"`
}

type answerJSON struct {
	ID           string `json:"id"`
	Object       string `json:"object"`
	AnswerType   string `json:"answer_type"`
	AnswerValue  any    `json:"answer_value"`
	CreatedAt    string `json:"created_at"`
	QuestionCVID string `json:"question_cvid"`
	QuestionName string `json:"question_name"`
}

type attributeDefinitionJSON struct {
	ID          string `json:"id"`
	Object      string `json:"object"`
	CreatedAt   string `json:"created_at"`
	DataType    string `json:"data_type"`
	Description string `json:"description"`
	DisplayName string `json:"display_name"`
	Name        string `json:"name"`
	Scope       string `json:"scope"`
}

type eventDefinitionJSON struct {
	ID          string `json:"id"`
	Object      string `json:"object"`
	CreatedAt   string `json:"created_at"`
	Description string `json:"description"`
	DisplayName string `json:"display_name"`
	Name        string `json:"name"`
}

// The render functions run under the fake's read lock.

func (f *Fake) renderUser(u *User, ex expansion) userJSON {
	out := userJSON{ID: u.ID, Object: "user", Attributes: u.Attributes, CreatedAt: formatTime(u.CreatedAt)}
	if ex.has("groups") {
		out.Groups = []groupJSON{}
		for _, m := range u.Memberships {
			if g := f.groupByID(m.GroupID); g != nil {
				out.Groups = append(out.Groups, f.renderGroup(g, expansion{}))
			}
		}
	}
	if ex.has("memberships") {
		sub := ex.below("memberships")
		out.Memberships = []membershipJSON{}
		for _, m := range u.Memberships {
			mj := renderMembership(m)
			if sub.has("group") {
				if g := f.groupByID(m.GroupID); g != nil {
					gj := f.renderGroup(g, expansion{})
					mj.Group = &gj
				}
			}
			out.Memberships = append(out.Memberships, mj)
		}
	}
	return out
}

func renderMembership(m Membership) membershipJSON {
	return membershipJSON{
		ID: m.ID, Object: "group_membership", Attributes: map[string]any{"role": m.Role},
		CreatedAt: formatTime(m.CreatedAt), GroupID: m.GroupID, UserID: m.UserID,
	}
}

func (f *Fake) renderGroup(g *Group, ex expansion) groupJSON {
	out := groupJSON{ID: g.ID, Object: "group", Attributes: g.Attributes, CreatedAt: formatTime(g.CreatedAt)}
	if !ex.has("memberships") && !ex.has("users") {
		return out
	}
	sub := ex.below("memberships")
	if ex.has("memberships") {
		out.Memberships = []membershipJSON{}
	}
	if ex.has("users") {
		out.Users = []userJSON{}
	}
	for i := range f.data.users {
		u := &f.data.users[i]
		for _, m := range u.Memberships {
			if m.GroupID != g.ID {
				continue
			}
			if ex.has("users") {
				out.Users = append(out.Users, f.renderUser(u, expansion{}))
			}
			if ex.has("memberships") {
				mj := renderMembership(m)
				if sub.has("user") {
					uj := f.renderUser(u, expansion{})
					mj.User = &uj
				}
				out.Memberships = append(out.Memberships, mj)
			}
		}
	}
	return out
}

func (f *Fake) renderContent(c *Content, ex expansion) contentJSON {
	out := contentJSON{
		ID: c.ID, Object: "content", CreatedAt: formatTime(c.CreatedAt), Name: c.Name, Type: c.Type,
		DraftVersionID: nullable(c.DraftVersionID), PublishedVersionID: nullable(c.PublishedVersionID),
	}
	if v := f.versionByID(c.DraftVersionID); v != nil && ex.has("draft_version") {
		vj := f.renderVersion(v, ex.below("draft_version"))
		out.DraftVersion = &vj
	}
	if v := f.versionByID(c.PublishedVersionID); v != nil && ex.has("published_version") {
		vj := f.renderVersion(v, ex.below("published_version"))
		out.PublishedVersion = &vj
	}
	return out
}

func (f *Fake) renderVersion(v *Version, ex expansion) versionJSON {
	out := versionJSON{
		ID: v.ID, Object: "content_version", CreatedAt: formatTime(v.CreatedAt),
		Description: nullable(v.Description), Number: v.Number,
	}
	if v.EditedAt != nil {
		s := formatTime(*v.EditedAt)
		out.EditedAt = &s
	}
	// Expanded lists are [] for content that cannot have them ("only flows
	// can have questions"), null when not asked for.
	if ex.has("questions") {
		out.Questions = []questionJSON{}
		for _, q := range v.Questions {
			out.Questions = append(out.Questions, questionJSON{ID: q.ID, Object: "question", CVID: q.CVID, Name: q.Name, Type: q.Type})
		}
	}
	if ex.has("tasks") {
		out.Tasks = []taskJSON{}
		for _, t := range v.Tasks {
			out.Tasks = append(out.Tasks, taskJSON{ID: t.ID, Object: "checklist_task", CVID: t.CVID, Name: t.Name})
		}
	}
	return out
}

func (f *Fake) renderSession(s *Session, ex expansion) sessionJSON {
	out := sessionJSON{
		ID: s.ID, Object: "content_session", Completed: s.Completed, ContentID: s.ContentID,
		CreatedAt: formatTime(s.CreatedAt), GroupID: nullable(s.GroupID), IsPreview: s.IsPreview,
		LastActivityAt: formatTime(s.LastActivityAt), LauncherActivated: s.LauncherActivated,
		Progress: s.Progress, UserID: s.UserID, VersionID: s.VersionID,
	}
	if s.CompletedAt != nil {
		c := formatTime(*s.CompletedAt)
		out.CompletedAt = &c
	}
	if ex.has("answers") {
		out.Answers = []answerJSON{}
		for _, a := range s.Answers {
			out.Answers = append(out.Answers, answerJSON{
				ID: a.ID, Object: "content_session_answer", AnswerType: a.AnswerType, AnswerValue: a.AnswerValue,
				CreatedAt: formatTime(a.CreatedAt), QuestionCVID: a.QuestionCVID, QuestionName: a.QuestionName,
			})
		}
	}
	if c := f.contentByID(s.ContentID); c != nil && ex.has("content") {
		cj := f.renderContent(c, ex.below("content"))
		out.Content = &cj
	}
	if g := f.groupByID(s.GroupID); g != nil && ex.has("group") {
		gj := f.renderGroup(g, ex.below("group"))
		out.Group = &gj
	}
	if u := f.userByID(s.UserID); u != nil && ex.has("user") {
		uj := f.renderUser(u, ex.below("user"))
		out.User = &uj
	}
	if v := f.versionByID(s.VersionID); v != nil && ex.has("version") {
		vj := f.renderVersion(v, ex.below("version"))
		out.Version = &vj
	}
	return out
}

func renderAttributeDefinition(a *AttributeDefinition) attributeDefinitionJSON {
	return attributeDefinitionJSON{
		ID: a.ID, Object: "attribute_definition", CreatedAt: formatTime(a.CreatedAt), DataType: a.DataType,
		Description: a.Description, DisplayName: a.DisplayName, Name: a.Name, Scope: a.Scope,
	}
}

func renderEventDefinition(e *EventDefinition) eventDefinitionJSON {
	return eventDefinitionJSON{
		ID: e.ID, Object: "event_definition", CreatedAt: formatTime(e.CreatedAt),
		Description: e.Description, DisplayName: e.DisplayName, Name: e.Name,
	}
}
