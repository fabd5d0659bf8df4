package engine

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/adoptionlabs/etl/load/loadtest"
	"github.com/adoptionlabs/etl/window"
)

// fixed is an error that says what to change, as the HTTP layer's 4xx do.
type fixed struct{ fix string }

func (e fixed) Error() string {
	return "401 Unauthorized after 1 attempt: {\"error\":\"invalid_api_key\"}"
}
func (e fixed) Fix() string { return e.fix }

// A failed window's error reads: where, what to change (when a rerun cannot
// cure it), then the cause without the source's own repeat of where. A
// transient failure has no fix: only it is worth a rerun as it is.
func TestFailedWindowSaysWhatToChangeFirst(t *testing.T) {
	w := window.New(day("2026-11-01"), day("2026-11-02"))
	cases := []struct {
		name    string
		err     error
		wantErr string
		wantFix string
	}{
		{"a source's fix", fmt.Errorf("src events window 2026-11-01 page 3: %w", NeedsFix("check SRC_KEY", errors.New("GET /events: 401 Unauthorized"))),
			"src events window 2026-11-01: check SRC_KEY: page 3: GET /events: 401 Unauthorized", "check SRC_KEY"},
		{"the HTTP layer's fix, deep in the chain", fmt.Errorf("src events page 1: %w", fixed{"check this source's credentials"}),
			`src events window 2026-11-01: check this source's credentials: page 1: 401 Unauthorized after 1 attempt: {"error":"invalid_api_key"}`, "check this source's credentials"},
		{"transient", fmt.Errorf("src events window 2026-11-01 page 2: %w", errors.New("GET /events: 503 Service Unavailable after 6 attempts")),
			"src events window 2026-11-01: page 2: GET /events: 503 Service Unavailable after 6 attempts", ""},
		{"a fix that says nothing is no fix", fmt.Errorf("page 2: %w", fixed{""}),
			`src events window 2026-11-01: page 2: 401 Unauthorized after 1 attempt: {"error":"invalid_api_key"}`, ""},
		{"joined", errors.Join(errors.New("one"), NeedsFix("raise max_body", errors.New("too big"))),
			"src events window 2026-11-01: raise max_body: one\ntoo big", "raise max_body"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := NewRunner(Options{Sink: loadtest.NewSink()})
			res := r.Run(context.Background(), stream(func(context.Context, window.Window, Emitter) error { return tc.err }), w)
			assert.Equal(t, StatusFailed, res.Status)
			assert.Equal(t, tc.wantErr, res.Err.Error())
			assert.Equal(t, tc.wantFix, res.Fix)
			assert.ErrorIs(t, res.Err, tc.err, "the cause stays in the chain")
		})
	}
}
