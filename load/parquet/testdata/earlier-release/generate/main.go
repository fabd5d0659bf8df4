// Command generate writes the fixture of TestMigrate*: a Parquet directory
// as a release before merge tables held one row per key wrote it, with a
// key in two dt= days. It runs that release's binary against an in-process
// Userflow fake: a backfill in daily chunks, later activity on some
// sessions, the same backfill again (the scenario, small), and a
// bot backfill of overlapping windows loaded out of order.
//
//	go build -o /tmp/etl-before ./cmd/etl   # in a checkout of that release
//	go run ./load/parquet/testdata/earlier-release/generate -etl /tmp/etl-before -out load/parquet/testdata/earlier-release/data
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/adoptionlabs/etl/extract"
	_ "github.com/adoptionlabs/etl/extract/bot"
	"github.com/adoptionlabs/etl/extract/sandbox"
	"github.com/adoptionlabs/etl/extract/userflow/userflowfake"
)

// now anchors both fakes; the ranges below are before it.
var now = time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)

func main() {
	bin := flag.String("etl", "", "the earlier release's etl binary")
	out := flag.String("out", "", "directory to write (must not exist)")
	flag.Parse()
	if *bin == "" || *out == "" {
		log.Fatal("usage: generate -etl BINARY -out DIR")
	}
	if _, err := os.Stat(*out); err == nil {
		log.Fatalf("%s exists", *out)
	}
	state, err := os.MkdirTemp("", "etl-fixture-state")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(state)

	fake := userflowfake.New(userflowfake.Options{Seed: 3, Now: now, Scale: 0.1})
	srv, err := sandbox.Start(fake)
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()
	env := map[string]string{"USERFLOW_BASE_URL": srv.URL, "USERFLOW_API_KEY": userflowfake.DemoAPIKey, "USERFLOW_RATE_LIMIT": "unlimited"}
	from, to := now.AddDate(0, 0, -10), now.AddDate(0, 0, -1)
	run := func(env map[string]string, args ...string) {
		e := maps.Clone(env)
		e["ETL_STATE_DIR"] = filepath.Join(state, fmt.Sprint(len(args), time.Now().UnixNano()))
		cmd := exec.Command(*bin, args...)
		cmd.Env = os.Environ()
		for k, v := range e {
			cmd.Env = append(cmd.Env, k+"="+v)
		}
		if b, err := cmd.CombinedOutput(); err != nil {
			log.Fatalf("etl %v: %v\n%s", args, err, b)
		}
	}
	backfill := []string{"backfill", "--stream", "userflow.content_sessions", "--from", from.Format(time.DateOnly), "--to", to.Format(time.DateOnly), "--chunk", "1d", "--out", *out}
	run(env, backfill...)
	// A fifth of the sessions of the range come back two days later, still
	// within the range, as users do.
	touched := 0
	for i, s := range fake.SessionsBetween(from, to.AddDate(0, 0, -2)) {
		if i%5 == 0 {
			if err := fake.TouchSession(s.ID, s.LastActivityAt.Add(48*time.Hour), "0.9", false); err != nil {
				log.Fatal(err)
			}
			touched++
		}
	}
	run(env, backfill...)
	sessions := len(fake.SessionsBetween(from, to.AddDate(0, 0, 1)))

	// The bot: overlapping windows in another order leave a user on the
	// ends of several windows.
	p, _ := extract.Lookup("bot")
	sb := p.Sandbox(extract.SandboxOptions{Seed: 5, Now: now, Scale: 0.2})
	bsrv, err := sandbox.Start(sb.Handler)
	if err != nil {
		log.Fatal(err)
	}
	defer bsrv.Close()
	benv := sb.Env(bsrv.URL)
	d := func(n int) string { return now.AddDate(0, 0, n).Format(time.DateOnly) }
	for _, w := range [][2]string{{d(-10), d(-6)}, {d(-14), d(-9)}, {d(-8), d(-1)}} {
		run(benv, "backfill", "--source", "bot", "--from", w[0], "--to", w[1], "--out", *out)
	}
	// The state and the lock are not the layout; the transcripts' messages
	// (no key in two days: created_at never moves) only weigh.
	for _, name := range []string{"_etl", ".lock", "bot_transcript_messages"} {
		if err := os.RemoveAll(filepath.Join(*out, name)); err != nil {
			log.Fatal(err)
		}
	}
	manifest, _ := json.MarshalIndent(map[string]any{
		"userflow_sessions_in_range": sessions,
		"userflow_sessions_touched":  touched,
		"range":                      [2]string{from.Format(time.DateOnly), to.Format(time.DateOnly)},
	}, "", "  ")
	if err := os.WriteFile(filepath.Join(filepath.Dir(filepath.Clean(*out)), "manifest.json"), append(manifest, '\n'), 0o644); err != nil {
		log.Fatal(err)
	}
}
