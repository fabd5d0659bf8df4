package whatfix

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/adoptionlabs/etl/engine"
	"github.com/adoptionlabs/etl/extract"
	"github.com/adoptionlabs/etl/extract/httpclient"
	"github.com/adoptionlabs/etl/schemas"
)

// SourceName is the name under sources: in pipelines.yaml and the prefix of
// every stream id.
const SourceName = "whatfix"

// Headers every call carries.
const (
	HeaderIntegrationKey = "x-whatfix-integration-key"
	HeaderUser           = "x-whatfix-user"
)

// Paths are the endpoint paths relative to path_prefix. The defaults follow
// Whatfix's OpenAPI file (our assumptions where the references are silent); each is
// configurable because the two references already disagree.
type Paths struct {
	FlowAnalytics     string `yaml:"flow_analytics" doc:"GET flow analytics (startDate, endDate)"`
	EndUserEngagement string `yaml:"end_user_engagement" doc:"GET end-user engagement (paged)"`
	SelfHelpAnalytics string `yaml:"self_help_analytics" doc:"GET Self Help analytics (not paged)"`
	TaskCompletion    string `yaml:"task_completion" doc:"GET task completion (paged)"`
	Content           string `yaml:"content" doc:"GET content list (paged; the per-flow fan-out and the fallback snapshot)"`
	ContentUpdated    string `yaml:"content_updated" doc:"GET content updated after fromTime (epoch ms, cursor paged)"`
	EndUsers          string `yaml:"end_users" doc:"GET end users (paged)"`
	Segments          string `yaml:"segments" doc:"GET segments (paged)"`
	AuditLogs         string `yaml:"audit_logs" doc:"POST audit logs (cursor paged)"`
}

func (p Paths) each() [][2]string {
	return [][2]string{
		{"flow_analytics", p.FlowAnalytics}, {"end_user_engagement", p.EndUserEngagement},
		{"self_help_analytics", p.SelfHelpAnalytics}, {"task_completion", p.TaskCompletion},
		{"content", p.Content}, {"content_updated", p.ContentUpdated}, {"end_users", p.EndUsers},
		{"segments", p.Segments}, {"audit_logs", p.AuditLogs},
	}
}

// ReportConfig is one report to pull: a report the vendor adds tomorrow is
// one more entry, not code.
type ReportConfig struct {
	Name    string            `yaml:"name" doc:"report name as in its path, e.g. summary/mostPopularFlows"`
	Table   string            `yaml:"table,omitempty" doc:"table name (default whatfix_report_<snake_case of the name>)"`
	Path    string            `yaml:"path,omitempty" doc:"path relative to path_prefix (default reports/<name>)"`
	Format  string            `yaml:"format,omitempty" doc:"csv or json (default: the source's format)"`
	PerFlow *bool             `yaml:"per_flow,omitempty" doc:"request once per flow with flowId (default: known reports' own setting, else false)"`
	Columns map[string]string `yaml:"columns,omitempty" doc:"typed columns (snake_case name: type) added to or overriding the declaration in extract/whatfix/reporttables.go"`
}

// Layout is a base URL and path prefix for a group of endpoints.
type Layout struct {
	BaseURL    string `yaml:"base_url" doc:"e.g. https://api.whatfix.com/v1 (the v1 reference's host); empty: the source's base_url"`
	PathPrefix string `yaml:"path_prefix" doc:"e.g. /accounts/{accountId}; empty: the source's path_prefix"`
}

// end_date readings.
const (
	EndDateInclusive = "inclusive"
	EndDateExclusive = "exclusive"
)

// Config is the whatfix block of pipelines.yaml.
type Config struct {
	extract.HTTPSettings `yaml:",inline"`
	AccountID            string         `yaml:"account_id" doc:"Whatfix account id, from ${WHATFIX_ACCOUNT_ID}"`
	IntegrationKey       string         `yaml:"integration_key" doc:"integration key (secret), from ${WHATFIX_INTEGRATION_KEY}"`
	User                 string         `yaml:"user" doc:"email of the key's user (x-whatfix-user), from ${WHATFIX_USER}"`
	PathPrefix           string         `yaml:"path_prefix" doc:"prefix of every path below base_url; {accountId} is replaced"`
	Format               string         `yaml:"format" doc:"report download format: csv or json"`
	IncludeDomains       []string       `yaml:"include_domains" doc:"reports: only these domains (includeDomains)"`
	ExcludeDomains       []string       `yaml:"exclude_domains" doc:"reports: not these domains (excludeDomains)"`
	FlowConcurrency      int            `yaml:"flow_concurrency" doc:"report and daily analytics requests (one per flow and day, or per day) at once, 1..16"`
	PageSize             int            `yaml:"page_size" doc:"items per page of paged endpoints, 1..100"`
	AuditLogLimit        int            `yaml:"audit_log_limit" doc:"audit log entries per page, 1..500"`
	Paths                Paths          `yaml:"paths" doc:"endpoint paths relative to path_prefix"`
	Reports              []ReportConfig `yaml:"reports" doc:"reports to pull (default: every account-wide report)"`
	// The settings below are readings the references leave open; etl check
	// tests each against a live account (docs/guesses.md).
	V1            Layout            `yaml:"v1" doc:"where audit logs and content-updated live (only the v1 reference documents them); empty fields: base_url / path_prefix"`
	CursorKeys    []string          `yaml:"cursor_keys" doc:"response keys that may hold the next-page cursor (audit logs, content updated), tried in order"`
	CursorParam   string            `yaml:"cursor_param" doc:"query parameter the cursor is sent back in"`
	EndDate       string            `yaml:"end_date" doc:"analytics endpoints: inclusive (startDate = endDate = the day) or exclusive (endDate = the next day)"`
	ContentFields map[string]string `yaml:"content_fields" doc:"content-updated item key -> content column, for items shaped unlike the OpenAPI Content (e.g. {updatedAt: modified_at})"`

	// backoff overrides the client's retry backoff; tests set it so retries
	// do not sleep for real.
	backoffBase, backoffMax time.Duration
}

// NewConfig returns the defaults.
func NewConfig() *Config {
	c := &Config{
		HTTPSettings: extract.HTTPSettings{
			BaseURL:    "https://whatfix.com/api/v1",
			RateLimit:  "300/min",
			Timeout:    2 * time.Minute,
			MaxRetries: 5,
		},
		PathPrefix:      "/{accountId}",
		Format:          "json",
		FlowConcurrency: 4,
		PageSize:        100,
		AuditLogLimit:   500,
		Paths: Paths{
			FlowAnalytics:     "analytics/flows",
			EndUserEngagement: "analytics/end-users",
			SelfHelpAnalytics: "analytics/self-help",
			TaskCompletion:    "analytics/task-completion",
			Content:           "content",
			ContentUpdated:    "content/updated",
			EndUsers:          "end-users",
			Segments:          "segments",
			AuditLogs:         "auditlogs",
		},
		CursorKeys:  []string{"cursor"},
		CursorParam: "cursor",
		EndDate:     EndDateInclusive,
	}
	for _, r := range Reports {
		if !r.PerFlow {
			c.Reports = append(c.Reports, ReportConfig{Name: r.Name})
		}
	}
	return c
}

// stagingPrefix starts the sinks' staging tables.
const stagingPrefix = schemas.StagingPrefix

var (
	reportNameForm = regexp.MustCompile(`^[A-Za-z0-9_-]+(/[A-Za-z0-9_-]+)*$`)
	identForm      = regexp.MustCompile(`^[a-z_][a-z0-9_]*$`)
)

// Validate checks the settings offline; unset credentials are not an error
// here (see Missing).
func (c *Config) Validate() error {
	if err := c.HTTPSettings.Validate(); err != nil {
		return err
	}
	if !strings.HasPrefix(c.PathPrefix, "/") || strings.ContainsAny(c.PathPrefix, "?# ") {
		return fmt.Errorf("path_prefix: %q must start with / and hold no query (default /{accountId})", c.PathPrefix)
	}
	if err := checkFormat("format", c.Format); err != nil {
		return err
	}
	if c.FlowConcurrency < 1 || c.FlowConcurrency > 16 {
		return fmt.Errorf("flow_concurrency: %d is outside 1..16", c.FlowConcurrency)
	}
	if c.PageSize < 1 || c.PageSize > 100 {
		return fmt.Errorf("page_size: %d is outside 1..100 (the API's pageSize bounds)", c.PageSize)
	}
	if c.AuditLogLimit < 1 || c.AuditLogLimit > 500 {
		return fmt.Errorf("audit_log_limit: %d is outside 1..500 (the API's limit bounds)", c.AuditLogLimit)
	}
	for _, d := range append(append([]string{}, c.IncludeDomains...), c.ExcludeDomains...) {
		if strings.TrimSpace(d) == "" || strings.Contains(d, ",") {
			return fmt.Errorf("include_domains/exclude_domains: %q is not a domain (list one domain per entry)", d)
		}
	}
	if err := c.validateGuesses(); err != nil {
		return err
	}
	for _, p := range c.Paths.each() {
		if err := checkPath("paths."+p[0], p[1]); err != nil {
			return err
		}
	}
	specs, err := c.reportSpecs()
	if err != nil {
		return err
	}
	known := fixedStreamNames()
	tables := map[string]string{}
	for _, t := range fixedTables() {
		tables[t.Name] = "stream " + t.Name
	}
	for _, s := range specs {
		if prev, dup := tables[s.table.Name]; dup {
			return fmt.Errorf("reports: %s: table %s is already used by %s; set table: to tell them apart", s.name, s.table.Name, prev)
		}
		tables[s.table.Name] = "report " + s.name
		if slices.Contains(known, s.stream) {
			return fmt.Errorf("reports: %s: stream name %s is taken; rename the report entry", s.name, s.stream)
		}
		known = append(known, s.stream)
		if err := s.table.Validate(); err != nil {
			return fmt.Errorf("reports: %s: %w", s.name, err)
		}
	}
	for _, s := range c.Streams {
		if !slices.Contains(known, s) {
			sort.Strings(known)
			return fmt.Errorf("streams: %q is not a whatfix stream (known: %s)", s, strings.Join(known, ", "))
		}
	}
	return nil
}

func (c *Config) validateGuesses() error {
	if c.V1.BaseURL != "" {
		if u, err := url.Parse(c.V1.BaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("v1.base_url: %q is not an absolute http(s) URL (the v1 reference's is https://api.whatfix.com/v1)", c.V1.BaseURL)
		}
	}
	if c.V1.PathPrefix != "" && (!strings.HasPrefix(c.V1.PathPrefix, "/") || strings.ContainsAny(c.V1.PathPrefix, "?# ")) {
		return fmt.Errorf("v1.path_prefix: %q must start with / and hold no query (the v1 reference's is /accounts/{accountId})", c.V1.PathPrefix)
	}
	if len(c.CursorKeys) == 0 {
		return fmt.Errorf("cursor_keys: empty: list the response keys that may hold the next-page cursor (default [cursor])")
	}
	for _, k := range c.CursorKeys {
		if strings.TrimSpace(k) == "" {
			return fmt.Errorf("cursor_keys: an empty key")
		}
	}
	if strings.TrimSpace(c.CursorParam) == "" {
		return fmt.Errorf("cursor_param: empty (default cursor, as the v1 reference names it)")
	}
	if c.EndDate != EndDateInclusive && c.EndDate != EndDateExclusive {
		return fmt.Errorf("end_date: %q must be inclusive or exclusive", c.EndDate)
	}
	cols := Content.Columns
	for k, col := range c.ContentFields {
		if strings.TrimSpace(k) == "" || !slices.ContainsFunc(cols, func(sc schemas.Column) bool { return sc.Name == col }) {
			return fmt.Errorf("content_fields: %q: %q is not a column of %s", k, col, Content.Name)
		}
	}
	return nil
}

func checkFormat(what, f string) error {
	if f != "csv" && f != "json" {
		return fmt.Errorf("%s: %q must be csv or json", what, f)
	}
	return nil
}

func checkPath(what, p string) error {
	if strings.Trim(p, "/") == "" || strings.ContainsAny(p, "?# ") {
		return fmt.Errorf("%s: %q must be a path relative to path_prefix, without a query", what, p)
	}
	return nil
}

// Missing names the unset credentials.
func (c *Config) Missing() []string { return extract.Missing(c, envVars) }

// Secrets is what logs and errors must never show.
func (c *Config) Secrets() []string {
	if c.IntegrationKey == "" {
		return nil
	}
	return []string{c.IntegrationKey}
}

// newSource validates the settings and builds the clients; no request.
func (c *Config) newSource(env extract.Env) (*source, error) {
	if err := c.Validate(); err != nil {
		return nil, fmt.Errorf("whatfix: %w", err)
	}
	client, err := c.HTTPSettings.Client(env, httpclient.Config{
		Auth:        httpclient.HeaderAuth(HeaderIntegrationKey, c.IntegrationKey),
		Header:      http.Header{http.CanonicalHeaderKey(HeaderUser): {c.User}},
		Secrets:     c.Secrets(),
		BackoffBase: c.backoffBase,
		BackoffMax:  c.backoffMax,
	})
	if err != nil {
		return nil, fmt.Errorf("whatfix: %w", err)
	}
	s := &source{cfg: c, client: client, prefix: c.fillPrefix(c.PathPrefix)}
	s.v1client, s.v1prefix = client, s.prefix
	if c.V1.BaseURL != "" {
		if s.v1client, err = client.WithBase(c.V1.BaseURL); err != nil {
			return nil, fmt.Errorf("whatfix: v1.base_url: %w", err)
		}
	}
	if c.V1.PathPrefix != "" {
		s.v1prefix = c.fillPrefix(c.V1.PathPrefix)
	}
	return s, nil
}

// Open builds the client and declares the streams; it makes no request.
func (c *Config) Open(env extract.Env) ([]*engine.Stream, error) {
	s, err := c.newSource(env)
	if err != nil {
		return nil, err
	}
	specs, _ := c.reportSpecs()
	return extract.Pick(s.streams(specs), c.Streams), nil
}

// fillPrefix is a path prefix with the account filled in, without a trailing /.
func (c *Config) fillPrefix(p string) string {
	return strings.TrimSuffix(strings.ReplaceAll(p, "{accountId}", url.PathEscape(c.AccountID)), "/")
}

// reportSpec is one configured report with its defaults resolved.
type reportSpec struct {
	name    string
	stream  string
	path    string
	format  string
	perFlow bool
	table   *schemas.Table
	// declared is false for a report extract/whatfix/reporttables.go does not know.
	declared bool
}

func (c *Config) reportSpecs() ([]reportSpec, error) {
	seen := map[string]bool{}
	var out []reportSpec
	for i, rc := range c.Reports {
		where := fmt.Sprintf("reports[%d]", i)
		if !reportNameForm.MatchString(rc.Name) {
			return nil, fmt.Errorf("%s: name %q must look like category/reportName", where, rc.Name)
		}
		where = "reports: " + rc.Name
		if seen[rc.Name] {
			return nil, fmt.Errorf("%s: listed twice", where)
		}
		seen[rc.Name] = true
		decl, known := LookupReport(rc.Name)
		spec := reportSpec{name: rc.Name, stream: "report_" + ReportSlug(rc.Name), path: "reports/" + rc.Name,
			format: c.Format, perFlow: decl.PerFlow, declared: known}
		if rc.Path != "" {
			if err := checkPath(where+": path", rc.Path); err != nil {
				return nil, err
			}
			spec.path = rc.Path
		}
		if rc.Format != "" {
			if err := checkFormat(where+": format", rc.Format); err != nil {
				return nil, err
			}
			spec.format = rc.Format
		}
		if rc.PerFlow != nil {
			spec.perFlow = *rc.PerFlow
		}
		tableName := decl.Table
		if !known {
			tableName = "whatfix_report_" + ReportSlug(rc.Name)
		}
		if rc.Table != "" {
			tableName = rc.Table
		}
		if !identForm.MatchString(tableName) {
			return nil, fmt.Errorf("%s: table %q must be lower snake_case", where, tableName)
		}
		if strings.HasPrefix(tableName, stagingPrefix) {
			return nil, fmt.Errorf("%s: table %q starts with %s, the prefix of etl's staging tables, which every ClickHouse load drops as leftovers: pick another name", where, tableName, stagingPrefix)
		}
		cols, err := reportColumns(where, decl.Columns, rc.Columns, spec.perFlow)
		if err != nil {
			return nil, err
		}
		doc := decl.Doc
		if doc == "" {
			doc = "Whatfix report " + rc.Name + " (not declared in extract/whatfix/reporttables.go: columns from pipelines.yaml, the rest in _extra)."
		}
		spec.table = ReportTable(tableName, doc, spec.perFlow, cols)
		out = append(out, spec)
	}
	return out, nil
}

// reportColumns is the declaration's columns with the config's types laid
// over them (overrides in place, new ones appended in name order).
func reportColumns(where string, declared []schemas.Column, overrides map[string]string, perFlow bool) ([]schemas.Column, error) {
	cols := append([]schemas.Column(nil), declared...)
	names := make([]string, 0, len(overrides))
	for n := range overrides {
		names = append(names, n)
	}
	sort.Strings(names)
	reserved := ReservedReportColumns(perFlow)
	for _, n := range names {
		if !identForm.MatchString(n) {
			return nil, fmt.Errorf("%s: columns: %q must be the snake_case column name (e.g. completion_rate_pct)", where, n)
		}
		if slices.Contains(reserved, n) {
			return nil, fmt.Errorf("%s: columns: %s is set by etl itself", where, n)
		}
		t, err := schemas.ParseType(overrides[n])
		if err != nil {
			return nil, fmt.Errorf("%s: columns: %s: %w", where, n, err)
		}
		col := schemas.Column{Name: n, Type: t, Nullable: t != schemas.StringList, Doc: "declared in pipelines.yaml"}
		if i := slices.IndexFunc(cols, func(c schemas.Column) bool { return c.Name == n }); i >= 0 {
			col.Doc = cols[i].Doc
			cols[i] = col
		} else {
			cols = append(cols, col)
		}
	}
	return cols, nil
}

// ReportSlug names a report's stream and default table: the snake_case of
// the report name, prefixed by its category unless the name already says it
// or the category is "summary" (summary/mostPopularFlows -> most_popular_flows,
// flowSummary/feedback -> flow_summary_feedback, flow/feedback ->
// flow_feedback, popup/smartPopupEffectiveness -> smart_popup_effectiveness).
// The category keeps flowSummary/completionRate and flow/completionRate apart.
func ReportSlug(name string) string {
	i := strings.LastIndexByte(name, '/')
	if i < 0 {
		return ColumnName(name)
	}
	category, report := ColumnName(name[:i]), ColumnName(name[i+1:])
	if category == "summary" || strings.Contains("_"+report+"_", "_"+category+"_") {
		return report
	}
	return category + "_" + report
}
