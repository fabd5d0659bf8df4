package logging

import (
	"bytes"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/adoptionlabs/etl/redact"
)

func TestEachOutputGetsItsOwnLevelAndNoSecret(t *testing.T) {
	for _, format := range []string{"text", "json"} {
		t.Run(format, func(t *testing.T) {
			var term, file bytes.Buffer
			red := redact.New([]string{"ak_live_secret"})
			log, err := New(format, red, Output{W: &term, Level: slog.LevelWarn}, Output{W: &file, Level: slog.LevelInfo})
			require.NoError(t, err)
			log.Debug("bookkeeping detail")
			log.Info("parquet: committed", "key", "ak_live_secret")
			log.Warn("http: retrying", "url", "https://api.example.com/?key=ak_live_secret")

			assert.NotContains(t, term.String(), "committed", "a terminal at warn gets no info lines")
			assert.Contains(t, term.String(), "http: retrying")
			assert.Contains(t, file.String(), "committed", "the log file keeps the info detail")
			assert.Contains(t, file.String(), "http: retrying")
			for _, out := range []string{term.String(), file.String()} {
				assert.NotContains(t, out, "bookkeeping detail")
				assert.NotContains(t, out, "ak_live_secret")
			}
			assert.Equal(t, 2, strings.Count(file.String(), "[REDACTED]"))
		})
	}
}

func TestLiveTerminalLinesHaveNoTimestamp(t *testing.T) {
	var term, file bytes.Buffer
	log, err := New("text", nil, Output{W: &term, Level: slog.LevelWarn, Live: true}, Output{W: &file, Level: slog.LevelWarn})
	require.NoError(t, err)
	log.Warn("http: retrying", "status", 503)
	assert.Equal(t, "level=WARN msg=\"http: retrying\" status=503\n", term.String())
	assert.Regexp(t, `^time=\S+ level=WARN msg="http: retrying" status=503\n$`, file.String(), "a log file keeps the time")
}

func TestBadLevelAndFormat(t *testing.T) {
	_, err := ParseLevel("loud")
	assert.ErrorContains(t, err, "--log-level")
	lv, err := ParseLevel("warn")
	require.NoError(t, err)
	assert.Equal(t, slog.LevelWarn, lv)
	_, err = New("xml", nil, Output{W: &bytes.Buffer{}})
	assert.ErrorContains(t, err, "--log-format")
}

func TestLogFileIsPrivateAndAppendedTo(t *testing.T) {
	path := filepath.Join(t.TempDir(), "etl.log")
	for _, msg := range []string{"first run", "second run"} {
		f, err := OpenFile(path)
		require.NoError(t, err)
		log, err := New("text", redact.New(nil), Output{W: f, Level: slog.LevelInfo})
		require.NoError(t, err)
		log.Info(msg)
		require.NoError(t, f.Close())
	}
	st, err := os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), st.Mode().Perm(), "only its owner reads a log")
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Contains(t, string(b), "first run", "a second run appends, it does not truncate")
	assert.Contains(t, string(b), "second run")

	_, err = OpenFile(filepath.Join(t.TempDir(), "missing", "etl.log"))
	assert.ErrorContains(t, err, "--log-file")
}

// A secret with characters that URLs and JSON escape reaches a log line
// escaped; the logger hides it all the same.
func TestEscapedSecretsAreHidden(t *testing.T) {
	secret := `ak/li+ve"key`
	for _, format := range []string{"text", "json"} {
		var out bytes.Buffer
		log, err := New(format, redact.New([]string{secret}), Output{W: &out, Level: slog.LevelInfo})
		require.NoError(t, err)
		log.Warn("http: retrying", "url", "/x?api_key="+url.QueryEscape(secret), "key", secret)
		assert.NotContains(t, out.String(), "li", format)
		assert.Equal(t, 2, strings.Count(out.String(), redact.Marker), out.String())
	}
}
