// Package prometheus_test checks etl.rules.yml with promtool against the
// series etl's own metrics writer produces: each scenario is a sequence of
// runs, each run's metrics file is written by report.WriteMetrics and read
// back as node_exporter would expose it, and `promtool test rules` asserts
// exactly which alerts fire when. A series renamed or relabelled in the
// writer stops matching the rules, and the scenarios that expect its alert
// fail.
package prometheus_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"

	"github.com/adoptionlabs/etl/report"
	"github.com/adoptionlabs/etl/testsupport"
)

const rulesFile = "etl.rules.yml"

// promtool is $PROMTOOL (make test sets it) or whatever scripts/promtool.sh
// finds or fetches: this test never skips for want of it.
func promtool(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("PROMTOOL"); p != "" {
		return p
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	var stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, "bash", filepath.Join(testsupport.RepoRoot(t), "scripts", "promtool.sh"))
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	require.NoError(t, err, "scripts/promtool.sh: %s", stderr.String())
	return strings.TrimSpace(string(out))
}

func TestRulesFileIsValid(t *testing.T) {
	out, err := exec.Command(promtool(t), "check", "rules", rulesFile).CombinedOutput()
	require.NoError(t, err, string(out))
	assert.Contains(t, string(out), "SUCCESS")
}

// scraped are the labels Prometheus adds to every series it scrapes from
// node_exporter.
var scraped = map[string]string{"instance": "etl-host:9100", "job": "node"}

type stream struct{ source, name string }

var (
	sessions = stream{"userflow", "content_sessions"}
	flows    = stream{"whatfix", "flow_analytics"}
	usage    = stream{"bot", "usage"}
	users    = stream{"technowiz", "users"}
)

func window(s stream, status string, rows, rejects int64) report.StreamReport {
	r := report.StreamReport{Source: s.source, Stream: s.name, Window: "2026-01-01", Rows: rows, Rejects: rejects, Status: status}
	if status == report.StatusFailed {
		r.Error = s.source + " " + s.name + " window 2026-01-01 page 3: 503 after 5 retries"
	}
	return r
}

func ok(s stream, rows, rejects int64) report.StreamReport {
	return window(s, report.StatusOK, rows, rejects)
}

// run is one etl run, finishing at `at` after the test's time 0 (promtool's
// clock starts at the Unix epoch, so time() is the offset in seconds).
type run struct {
	at       time.Duration
	status   string
	streams  []report.StreamReport
	zeroRows []stream
	// gone: the metrics file is deleted instead; every series ends.
	gone bool
}

type alert struct {
	name    string
	stream  *stream // nil for run-level alerts
	summary string
}

type eval struct {
	at time.Duration
	// firing is every alert that fires then; every other alert of the
	// rules file must not.
	firing []alert
}

type scenario struct {
	name string
	// limits replaces the value of a limit's recording rule, as a user
	// would edit it.
	limits map[string]string
	runs   []run
	evals  []eval
}

func TestAlerts(t *testing.T) {
	h := time.Hour
	nightly := func(at time.Duration) run {
		return run{at: at, status: report.StatusOK, streams: []report.StreamReport{ok(sessions, 100, 0), ok(flows, 50, 0)}}
	}
	noSuccess := func(s stream, age string) alert {
		return alert{"EtlStreamNoRecentSuccess", &s, fmt.Sprintf("etl: %s.%s has not loaded successfully for %s", s.source, s.name, age)}
	}
	runFailed := alert{"EtlRunFailed", nil, "etl: the last run on etl-host:9100 failed or was interrupted"}
	streamFailed := func(s stream) alert {
		return alert{"EtlStreamFailed", &s, fmt.Sprintf("etl: %s.%s did not complete in the last run", s.source, s.name)}
	}
	rejected := func(s stream, share string) alert {
		return alert{"EtlStreamRejectShareHigh", &s, fmt.Sprintf("etl: %s.%s rejected %s of its rows in the last run", s.source, s.name, share)}
	}
	tests := []scenario{
		{
			name:  "nightly runs that succeed raise nothing",
			runs:  []run{nightly(30 * time.Minute), nightly(24*h + 30*time.Minute), nightly(48*h + 30*time.Minute)},
			evals: []eval{{at: h}, {at: 40 * h}, {at: 60 * h}},
		},
		{
			name: "runs that stop: no success within 36 h",
			runs: []run{nightly(30 * time.Minute)},
			evals: []eval{
				{at: 36*h + 29*time.Minute},
				{at: 36*h + 31*time.Minute, firing: []alert{noSuccess(sessions, "1d 12h 1m 0s"), noSuccess(flows, "1d 12h 1m 0s")}},
			},
		},
		{
			name: "a failed stream fails the run and keeps its last success",
			runs: []run{
				nightly(30 * time.Minute),
				{at: 24*h + 30*time.Minute, status: report.StatusFailed, streams: []report.StreamReport{ok(sessions, 100, 0), window(flows, report.StatusFailed, 0, 0)}},
				nightly(48*h + 30*time.Minute),
			},
			evals: []eval{
				{at: 25 * h, firing: []alert{runFailed, streamFailed(flows)}},
				{at: 36*h + 31*time.Minute, firing: []alert{runFailed, streamFailed(flows), noSuccess(flows, "1d 12h 1m 0s")}},
				{at: 49 * h},
			},
		},
		{
			name: "an interrupted run",
			runs: []run{{at: 30 * time.Minute, status: report.StatusInterrupted, streams: []report.StreamReport{window(sessions, report.StatusInterrupted, 10, 0), ok(flows, 5, 0)}}},
			evals: []eval{
				{at: h, firing: []alert{runFailed, streamFailed(sessions)}},
			},
		},
		{
			name: "zero rows where the previous run loaded some",
			runs: []run{
				nightly(30 * time.Minute),
				{at: 24*h + 30*time.Minute, status: report.StatusOK, streams: []report.StreamReport{ok(sessions, 0, 0), ok(flows, 50, 0)}, zeroRows: []stream{sessions}},
				nightly(48*h + 30*time.Minute),
			},
			evals: []eval{
				{at: 24 * h},
				{at: 25 * h, firing: []alert{{"EtlStreamZeroRows", &sessions, "etl: userflow.content_sessions loaded 0 rows where its previous run loaded some"}}},
				{at: 49 * h},
			},
		},
		{
			name: "a reject share over 1 %",
			runs: []run{{at: 30 * time.Minute, status: report.StatusOK, streams: []report.StreamReport{
				ok(sessions, 990, 10), // exactly 1 %: not over
				ok(flows, 900, 100),
				ok(usage, 0, 0), // nothing read: no share
				ok(users, 0, 3),
			}}},
			evals: []eval{{at: h, firing: []alert{rejected(flows, "10%"), rejected(users, "100%")}}},
		},
		{
			name:   "limits changed in one place",
			limits: map[string]string{"etl:max_success_age_seconds": "7200", "etl:max_reject_share": "0.2"},
			runs: []run{{at: 30 * time.Minute, status: report.StatusOK, streams: []report.StreamReport{
				ok(flows, 900, 100), // 10 %: under the new limit
				ok(users, 0, 3),
			}}},
			evals: []eval{
				{at: 2*h + 29*time.Minute, firing: []alert{rejected(users, "100%")}},
				{at: 2*h + 31*time.Minute, firing: []alert{rejected(users, "100%"), noSuccess(flows, "2h 1m 0s"), noSuccess(users, "2h 1m 0s")}},
			},
		},
		{
			name: "the metrics file goes away",
			runs: []run{nightly(30 * time.Minute), {at: 2 * h, gone: true}},
			evals: []eval{
				{at: 2*h + 59*time.Minute},
				{at: 3*h + time.Minute, firing: []alert{{"EtlMetricsMissing", nil, "etl: no etl metrics scraped for an hour"}}},
			},
		},
	}
	rules := readRules(t, rulesFile)
	bin := promtool(t)
	for _, sc := range tests {
		t.Run(sc.name, func(t *testing.T) {
			dir := t.TempDir()
			rulesPath := filepath.Join(dir, rulesFile)
			require.NoError(t, os.WriteFile(rulesPath, []byte(withLimits(t, rules.text, sc.limits)), 0o644))
			testPath := filepath.Join(dir, "test.yml")
			require.NoError(t, os.WriteFile(testPath, promtoolTest(t, rules, sc, rulesPath), 0o644))
			out, err := exec.Command(bin, "test", "rules", testPath).CombinedOutput()
			require.NoError(t, err, "promtool test rules:\n%s", out)
		})
	}
}

// rules is what the scenarios need of the rules file: its text, and each
// alert's labels and static description.
type rules struct {
	text   string
	alerts []ruleAlert
}

type ruleAlert struct {
	Alert       string            `yaml:"alert"`
	Labels      map[string]string `yaml:"labels"`
	Annotations map[string]string `yaml:"annotations"`
}

func readRules(t *testing.T, path string) rules {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	var doc struct {
		Groups []struct {
			Rules []ruleAlert `yaml:"rules"`
		} `yaml:"groups"`
	}
	require.NoError(t, yaml.Unmarshal(b, &doc))
	r := rules{text: string(b)}
	for _, g := range doc.Groups {
		for _, a := range g.Rules {
			if a.Alert != "" {
				r.alerts = append(r.alerts, a)
			}
		}
	}
	require.NotEmpty(t, r.alerts)
	return r
}

// withLimits edits the vector(...) of each named recording rule, failing
// unless the rule is there exactly once.
func withLimits(t *testing.T, text string, limits map[string]string) string {
	t.Helper()
	for name, value := range limits {
		re := regexp.MustCompile(`(- record: ` + regexp.QuoteMeta(name) + `\n\s+expr: vector\()[^)]*\)`)
		require.Len(t, re.FindAllString(text, -1), 1, "recording rule %s with expr: vector(...)", name)
		text = re.ReplaceAllString(text, "${1}"+value+")")
	}
	return text
}

const step = time.Minute

// promtoolTest writes the scenario as a promtool unit test: one input
// series per series any run's metrics file held, sampled every minute,
// and at each eval time, for every alert of the rules file, the alerts
// expected to fire (none for most).
func promtoolTest(t *testing.T, r rules, sc scenario, rulesPath string) []byte {
	t.Helper()
	end := time.Duration(0)
	for _, e := range sc.evals {
		end = max(end, e.at)
	}
	samples := int(end/step) + 1

	// Each run's file, as series -> value; nil for a deleted file.
	files := make([]map[string]string, len(sc.runs))
	lastSuccess := map[string]time.Time{}
	names := map[string]bool{}
	for i, rn := range sc.runs {
		if rn.gone {
			continue
		}
		finished := time.Unix(0, 0).UTC().Add(rn.at)
		rep := report.Run{Command: "etl run", Started: finished.Add(-time.Minute), Finished: finished, Status: rn.status, Streams: rn.streams}
		for _, s := range rn.zeroRows {
			rep.Warnings = append(rep.Warnings, report.Warning{Source: s.source, Stream: s.name, Kind: report.WarningZeroRows, PreviousRows: 100})
		}
		files[i] = writtenSeries(t, rep, lastSuccess)
		for name := range files[i] {
			names[name] = true
		}
		// What the state store keeps for the next run's file.
		for _, s := range report.Summarize(rn.streams) {
			if s.OK() {
				lastSuccess[report.StreamKey(s.Source, s.Stream)] = finished
			}
		}
	}

	type inputSeries struct {
		Series string `yaml:"series"`
		Values string `yaml:"values"`
	}
	var inputs []inputSeries
	for _, name := range sortedKeys(names) {
		tokens := make([]string, samples)
		for i := range tokens {
			at := time.Duration(i) * step
			tokens[i] = "_"
			for j, rn := range sc.runs {
				if rn.at <= at {
					if v, ok := files[j][name]; ok {
						tokens[i] = v
					} else {
						tokens[i] = "_"
					}
				}
			}
			// node_exporter stops exposing a series the file no longer
			// has: Prometheus marks it stale at the next scrape.
			if tokens[i] == "_" && i > 0 && tokens[i-1] != "_" && tokens[i-1] != "stale" {
				tokens[i] = "stale"
			}
		}
		inputs = append(inputs, inputSeries{Series: name, Values: runLength(tokens)})
	}

	type expAlert struct {
		Labels      map[string]string `yaml:"exp_labels"`
		Annotations map[string]string `yaml:"exp_annotations"`
	}
	type alertTest struct {
		EvalTime  string     `yaml:"eval_time"`
		Alertname string     `yaml:"alertname"`
		ExpAlerts []expAlert `yaml:"exp_alerts"`
	}
	var alertTests []alertTest
	for _, e := range sc.evals {
		for _, ra := range r.alerts {
			at := alertTest{EvalTime: promDuration(e.at), Alertname: ra.Alert, ExpAlerts: []expAlert{}}
			for _, a := range e.firing {
				if a.name != ra.Alert {
					continue
				}
				labels := map[string]string{}
				for k, v := range ra.Labels {
					labels[k] = v
				}
				if a.name != "EtlMetricsMissing" { // absent() has no series to take labels from
					for k, v := range scraped {
						labels[k] = v
					}
				}
				if a.stream != nil {
					labels["source"], labels["stream"] = a.stream.source, a.stream.name
				}
				at.ExpAlerts = append(at.ExpAlerts, expAlert{Labels: labels, Annotations: map[string]string{
					"summary": a.summary, "description": ra.Annotations["description"],
				}})
			}
			alertTests = append(alertTests, at)
		}
		for _, a := range e.firing {
			known := false
			for _, ra := range r.alerts {
				known = known || ra.Alert == a.name
			}
			require.True(t, known, "scenario expects %s, which %s does not declare", a.name, rulesFile)
		}
	}

	doc := map[string]any{
		"rule_files":          []string{rulesPath},
		"evaluation_interval": promDuration(step),
		"tests": []map[string]any{{
			"interval":        promDuration(step),
			"input_series":    inputs,
			"alert_rule_test": alertTests,
		}},
	}
	b, err := yaml.Marshal(doc)
	require.NoError(t, err)
	return b
}

// writtenSeries writes the run's metrics file with the real writer and
// reads it back as Prometheus stores it after a scrape: series (with the
// scrape's labels) -> value.
func writtenSeries(t *testing.T, r report.Run, lastSuccess map[string]time.Time) map[string]string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "etl.prom")
	require.NoError(t, report.WriteMetrics(path, r, lastSuccess))
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	var extra []string
	for _, k := range sortedKeys(scraped) {
		extra = append(extra, fmt.Sprintf("%s=%q", k, scraped[k]))
	}
	out := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		cut := strings.LastIndexByte(line, ' ')
		require.Positive(t, cut, "metrics line %q", line)
		series, value := line[:cut], line[cut+1:]
		name, labels, hasLabels := strings.Cut(series, "{")
		all := append([]string(nil), extra...)
		if hasLabels {
			all = append([]string{strings.TrimSuffix(labels, "}")}, all...)
		}
		out[name+"{"+strings.Join(all, ",")+"}"] = value
	}
	require.NoError(t, sc.Err())
	require.NotEmpty(t, out)
	return out
}

// runLength writes promtool's series notation: "v+0xN" for N+1 equal
// values, "_xN" for N missing samples.
func runLength(tokens []string) string {
	var parts []string
	for i := 0; i < len(tokens); {
		j := i
		for j < len(tokens) && tokens[j] == tokens[i] {
			j++
		}
		n := j - i
		switch tok := tokens[i]; {
		case tok == "_":
			parts = append(parts, fmt.Sprintf("_x%d", n))
		case tok == "stale":
			parts = append(parts, strings.TrimSpace(strings.Repeat("stale ", n)))
		default:
			parts = append(parts, fmt.Sprintf("%s+0x%d", tok, n-1))
		}
		i = j
	}
	return strings.Join(parts, " ")
}

func promDuration(d time.Duration) string { return fmt.Sprintf("%dm", int(d/time.Minute)) }

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
