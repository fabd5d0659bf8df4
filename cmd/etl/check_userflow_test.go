package main

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/adoptionlabs/etl/extract"
	"github.com/adoptionlabs/etl/extract/sandbox"
	"github.com/adoptionlabs/etl/extract/userflow/userflowfake"
	"github.com/adoptionlabs/etl/testsupport"
)

// etl check against the Userflow sandbox in each reading the reference
// leaves open: the default fake confirms every guess; each other reading
// is named with the setting that fixes it, and with that setting the check
// passes. Groups missing from the plan is said as such, not as a wrong
// guess.
func TestCheckUserflowNamesEachVariant(t *testing.T) {
	cases := []struct {
		variant  string
		wantExit int
		want     []string
		fix      string
	}{
		{variant: "", wantExit: exitOK, want: []string{
			"userflow content_sessions: ok",
			"reachable, key (Authorization: Bearer) and Userflow-Version 2020-01-03 accepted",
			`response keys: object "list", data, has_more found`,
			"expand=answers returns answers",
			"paging: next_page_url found, relative to base_url, keeping the request's parameters",
			"paging: the page after the first (next_page_url) goes on after it, newest activity first",
			"userflow content: ok", "userflow content_versions: ok",
			"expand_form array: expand[]=questions&expand[]=tasks honoured (questions and tasks expanded)",
			"userflow users: ok", "userflow groups: ok", "userflow attribute_definitions: ok", "userflow event_definitions: ok",
			"check: every tested guess holds"}},
		{variant: "absolute-next-page-url", wantExit: exitFailed, want: []string{
			"userflow content_sessions: WRONG",
			`WRONG:   paging: next_page_url "https://api.userflow.com/content_sessions?expand=answers&limit=5&order_by=-last_activity_at&starting_after=`,
			"is not on base_url's http://127.0.0.1:", "set userflow paging: starting_after"},
			fix: "    paging: starting_after\n"},
		{variant: "bare-next-page-url", wantExit: exitFailed, want: []string{
			"userflow content_sessions: WRONG",
			`does not keep the request's expand, limit, order_by: set userflow paging: starting_after`,
			"userflow content_versions: WRONG", `does not keep the request's content_id, expand, limit`},
			fix: "    paging: starting_after\n"},
		{variant: "repeated-expand", wantExit: exitFailed, want: []string{
			"userflow content_versions: WRONG", "WRONG:   the expand form (array) was refused: set userflow expand_form: repeated",
			"userflow content_sessions: ok"},
			fix: "    expand_form: repeated\n"},
		{variant: "groups-forbidden", wantExit: exitOK, want: []string{
			"userflow groups: ok", "holds:   not available on this plan (HTTP 403): the groups stream is skipped with a notice"}},
		{variant: "groups-not-found", wantExit: exitOK, want: []string{
			"userflow groups: ok", "holds:   not available on this plan (HTTP 404)"}},
	}
	for _, tc := range cases {
		t.Run("variant "+tc.variant, func(t *testing.T) {
			fake := userflowfake.New(userflowfake.Options{Seed: 3, Variant: userflowfake.Variants[tc.variant]})
			srv, err := sandbox.Start(fake)
			require.NoError(t, err)
			defer srv.Close()
			env := map[string]string{"USERFLOW_BASE_URL": srv.URL, "USERFLOW_API_KEY": fake.APIKey()}
			cfg := filepath.Join(t.TempDir(), "pipelines.yaml")
			base := "version: 1\nsources:\n  userflow:\n    base_url: ${USERFLOW_BASE_URL}\n    api_key: ${USERFLOW_API_KEY}\n    rate_limit: unlimited\n"
			require.NoError(t, os.WriteFile(cfg, []byte(base), 0o644))

			code, stdout, stderr := runCLI(t, env, "--config", cfg, "check", "--source", "userflow")
			assert.Equal(t, tc.wantExit, code, stdout+stderr)
			for _, w := range tc.want {
				assert.Contains(t, stdout+stderr, w)
			}
			assert.NotContains(t, stdout+stderr, fake.APIKey())
			assertSmallChecks(t, fake.RequestLog())

			if tc.fix == "" {
				return
			}
			require.NoError(t, os.WriteFile(cfg, []byte(base+tc.fix), 0o644))
			code, stdout, stderr = runCLI(t, env, "--config", cfg, "check", "--source", "userflow")
			assert.Equal(t, exitOK, code, "with the setting changed: "+stdout+stderr)
			assert.Contains(t, stdout, "check: every tested guess holds")
		})
	}
}

// assertSmallChecks: at most two requests per endpoint, each for a few items.
func assertSmallChecks(t *testing.T, log []string) {
	t.Helper()
	perPath := map[string]int{}
	for _, r := range log {
		u, err := url.Parse(r[len(http.MethodGet)+1:])
		require.NoError(t, err, r)
		perPath[u.Path]++
		n, err := strconv.Atoi(u.Query().Get("limit"))
		require.NoError(t, err, "every request names its limit: %s", r)
		assert.LessOrEqual(t, n, 5, r)
	}
	for path, n := range perPath {
		assert.LessOrEqual(t, n, 2, "at most two small requests per endpoint: %s", path)
	}
	assert.Len(t, perPath, 7, "every endpoint the streams read: %v", perPath)
}

// Nothing to check is not a contradicted guess (exit 1): without --source it
// is said and exits 0; a --source that cannot be checked is an argument to
// fix, exit 2 with one line before any request.
func TestCheckWithNothingToCheck(t *testing.T) {
	code, stdout, stderr := runCLI(t, nil, "check")
	assert.Equal(t, exitOK, code, stdout+stderr)
	assert.Contains(t, stdout, "userflow: skipped, credentials not set (USERFLOW_API_KEY)")
	assert.Contains(t, stdout, "no source was checked: no enabled source has its credentials set")
	assert.NotContains(t, stdout, "every tested guess holds", "no guess was tested")

	hits := 0
	srv, err := sandbox.Start(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits++ }))
	require.NoError(t, err)
	defer srv.Close()
	env := map[string]string{"BOT_BASE_URL": srv.URL, "BOT_APP_ID": "app-id-1", "BOT_APP_SECRET": "app-secret-1"}
	code, stdout, stderr = runCLI(t, env, "check", "--source", "bot", "--source", "userflow")
	assert.Equal(t, exitUsage, code, stdout+stderr)
	assert.Equal(t, "etl: --source userflow: credentials not set: set USERFLOW_API_KEY\n", stderr)
	assert.Zero(t, hits, "no request before the arguments are known good")

	cfg := filepath.Join(t.TempDir(), "pipelines.yaml")
	require.NoError(t, os.WriteFile(cfg, []byte("version: 1\nsources:\n  userflow:\n    enabled: false\n    api_key: key-of-a-disabled-source\n"), 0o644))
	code, _, stderr = runCLI(t, nil, "--config", cfg, "check", "--source", "userflow")
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, stderr, "--source userflow: disabled in "+cfg+" (enabled: false)")
}

// Through the built binary, a backfill against the next_page_url readings
// the project does not assume: with the default settings it fails naming
// paging (a next_page_url without the request's parameters once loaded 40
// of 1,134 sessions with exit 0), and with paging: starting_after it loads
// exactly what it loads from the default sandbox.
func TestUserflowPagingVariantsFailLoudOrLoadEveryRow(t *testing.T) {
	bin := buildBinary(t)
	now := time.Now().UTC()
	backfill := func(variant, settings string) (code int, out, stderr string) {
		t.Helper()
		p, _ := extract.Lookup("userflow")
		sb := p.Sandbox(extract.SandboxOptions{Seed: 7, Now: now, Scale: 0.3, Variant: variant})
		srv, err := sandbox.Start(sb.Handler)
		require.NoError(t, err)
		defer srv.Close()
		env := sb.Env(srv.URL)
		env["ETL_STATE_DIR"] = t.TempDir()
		cfg := filepath.Join(t.TempDir(), "pipelines.yaml")
		require.NoError(t, os.WriteFile(cfg, []byte("version: 1\nsources:\n  userflow:\n    base_url: ${USERFLOW_BASE_URL}\n"+
			"    api_key: ${USERFLOW_API_KEY}\n    rate_limit: unlimited\n    page_size: 25\n"+settings), 0o644))
		out = t.TempDir()
		cmd := exec.Command(bin, "--config", cfg, "backfill", "--stream", "content_sessions", "--from", daysAgo(6), "--to", daysAgo(1), "--out", out)
		cmd.Env = environ(env)
		var errBuf bytes.Buffer
		cmd.Stderr = &errBuf
		err = cmd.Run()
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			code = exit.ExitCode()
		} else {
			require.NoError(t, err)
		}
		return code, out, errBuf.String()
	}
	digest := func(out string) string {
		answers := testsupport.DuckDB(t, fmt.Sprintf("SELECT count(*) AS n FROM read_parquet('%s/userflow_session_answers/*/*.parquet', hive_partitioning = true)", out))
		return sessionsDigest(t, out) + " answers " + fmt.Sprint(answers[0]["n"])
	}

	code, out, stderr := backfill("", "")
	require.Equal(t, exitOK, code, stderr)
	want := digest(out)
	for _, variant := range []string{"bare-next-page-url", "absolute-next-page-url"} {
		t.Run(variant, func(t *testing.T) {
			code, _, stderr := backfill(variant, "")
			assert.Equal(t, exitFailed, code, stderr)
			// The log quotes the error, its quotes escaped.
			assert.Regexp(t, `userflow content_sessions window \S+ page 1: next_page_url \\"[^"\\]+\\" (does not keep the request's expand, limit, order_by|is not on base_url's http://127\.0\.0\.1:\d+): set userflow paging: starting_after`, stderr)

			code, out, stderr := backfill(variant, "    paging: starting_after\n")
			require.Equal(t, exitOK, code, stderr)
			assert.Equal(t, want, digest(out), "every session and answer, as from the default sandbox")
		})
	}
}
