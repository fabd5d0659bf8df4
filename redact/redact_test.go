package redact

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestString(t *testing.T) {
	r := New([]string{"abc", "abcdef", "", "  ", "s3/cr+t&\"x<y\"", " padded-key "})
	tests := []struct{ name, in, want string }{
		{"raw", "key abcdef end", "key [REDACTED] end"},
		{"short secrets count too", "key abc end", "key [REDACTED] end"},
		{"longest first", "abcdefabc", "[REDACTED][REDACTED]"},
		{"query-escaped", "GET /x?k=" + url.QueryEscape("s3/cr+t&\"x<y\""), "GET /x?k=[REDACTED]"},
		{"path-escaped", "GET /u/" + url.PathEscape("s3/cr+t&\"x<y\""), "GET /u/[REDACTED]"},
		{"json-escaped", `{"k":"s3/cr+t\u0026\"x\u003cy\""}`, `{"k":"[REDACTED]"}`},
		{"json-escaped without html escapes", `{"k":"s3/cr+t&\"x<y\""}`, `{"k":"[REDACTED]"}`},
		{"surrounding blanks of a configured value", "key=padded-key.", "key=[REDACTED]."},
		{"nothing", "nothing here", "nothing here"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, r.String(tt.in))
		})
	}
}

func TestNilAndEmptyHideNothing(t *testing.T) {
	var r *Redactor
	assert.Equal(t, "x abc", r.String("x abc"))
	assert.Equal(t, "x abc", New(nil).String("x abc"))
	assert.Equal(t, "x [REDACTED] y", New(nil).WithExtra("x dyn y", []string{"dyn"}))
	assert.Equal(t, "[REDACTED] [REDACTED]", New([]string{"cfg"}).WithExtra("cfg dyn", []string{"dyn"}))
}

// A JSON log line escapes a secret's quotes; the writer still hides it.
func TestWriterHidesSecretsInJSONLogLines(t *testing.T) {
	secret := `pa"ss\word<1>`
	var out bytes.Buffer
	log := slog.New(slog.NewJSONHandler(New([]string{secret}).Writer(&out), nil))
	log.Warn("retrying", "url", "https://x.test/?key="+url.QueryEscape(secret), "body", `{"token":`+string(must(json.Marshal(secret)))+`}`, "raw", secret)

	assert.NotContains(t, out.String(), "word")
	assert.Equal(t, 3, bytes.Count(out.Bytes(), []byte(Marker)), out.String())
	w, ok := New(nil).Writer(&out).(interface{ Unwrap() io.Writer })
	require.True(t, ok)
	assert.Same(t, &out, w.Unwrap())
}

func must(b []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return b
}
