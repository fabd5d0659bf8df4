package reportcsv

import (
	"encoding/json"
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden.json from the current reader")

// parsed is everything a caller sees of one file, in a stable JSON shape.
type parsed struct {
	Header  []string       `json:"header"`
	Records []Record       `json:"records"`
	Rejects []parsedReject `json:"rejects"`
	Fatal   string         `json:"fatal,omitempty"`
}

type parsedReject struct {
	Line   int    `json:"line"`
	Reason string `json:"reason"`
	Raw    string `json:"raw"`
}

func parseAll(t testing.TB, r io.Reader) parsed {
	t.Helper()
	rd, err := NewReader(r)
	if err != nil {
		return parsed{Fatal: err.Error(), Records: []Record{}, Rejects: []parsedReject{}}
	}
	out := parsed{Header: rd.Header(), Records: []Record{}, Rejects: []parsedReject{}}
	for {
		rec, err := rd.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		var re *RowError
		switch {
		case errors.As(err, &re):
			require.Equal(t, re.Line, rec.Line, "a row error and its record name the same line")
			out.Rejects = append(out.Rejects, parsedReject{Line: re.Line, Reason: re.Error(), Raw: rec.Raw})
		case err != nil:
			out.Fatal = err.Error()
			_, again := rd.Next()
			require.ErrorIs(t, again, io.EOF, "after a fatal error the reader is finished")
			return out
		default:
			out.Records = append(out.Records, rec)
		}
	}
}

func TestGolden(t *testing.T) {
	inputs, err := filepath.Glob("testdata/*.csv")
	require.NoError(t, err)
	require.NotEmpty(t, inputs)
	for _, in := range inputs {
		name := strings.TrimSuffix(filepath.Base(in), ".csv")
		t.Run(name, func(t *testing.T) {
			f, err := os.Open(in)
			require.NoError(t, err)
			defer f.Close()
			got, err := json.MarshalIndent(parseAll(t, f), "", "  ")
			require.NoError(t, err)
			golden := strings.TrimSuffix(in, ".csv") + ".golden.json"
			if *update {
				require.NoError(t, os.WriteFile(golden, append(got, '\n'), 0o644))
			}
			want, err := os.ReadFile(golden)
			require.NoError(t, err, "run go test -run TestGolden -update to create %s", golden)
			assert.JSONEq(t, string(want), string(got))
		})
	}
}

// The golden files are checked by eye once; these assertions pin the
// behaviours that matter so that an -update cannot quietly bless a bug.
func TestEdgeCases(t *testing.T) {
	read := func(s string) parsed { return parseAll(t, strings.NewReader(s)) }

	t.Run("BOM is not part of the first column name", func(t *testing.T) {
		p := read("\xef\xbb\xbfFlow Name,Views\r\nA,1\r\n")
		assert.Equal(t, []string{"Flow Name", "Views"}, p.Header)
		require.Len(t, p.Records, 1)
		assert.Equal(t, map[string]string{"Flow Name": "A", "Views": "1"}, p.Records[0].Fields)
		assert.Equal(t, "A,1", p.Records[0].Raw, "raw text drops the CRLF")
	})
	t.Run("quoted commas quotes and newlines", func(t *testing.T) {
		p := read("a,b\n\"x, \"\"y\"\"\nz\",2\nnext,3\n")
		require.Len(t, p.Records, 2)
		assert.Equal(t, "x, \"y\"\nz", p.Records[0].Fields["a"])
		assert.Equal(t, 2, p.Records[0].Line)
		assert.Equal(t, 4, p.Records[1].Line, "line numbers count the quoted newline")
		assert.Equal(t, "\"x, \"\"y\"\"\nz\",2", p.Records[0].Raw)
	})
	t.Run("header only and empty input give no rows", func(t *testing.T) {
		assert.Empty(t, read("a,b\n").Records)
		p := read("")
		assert.Empty(t, p.Records)
		assert.Empty(t, p.Header)
		assert.Empty(t, p.Fatal)
	})
	t.Run("duplicate and blank header names", func(t *testing.T) {
		p := read("v,v,,v_2\n1,2,3,4\n")
		assert.Equal(t, []string{"v", "v_3", "column_3", "v_2"}, p.Header, "v_2 is taken by a real column")
		assert.Equal(t, map[string]string{"v": "1", "v_3": "2", "column_3": "3", "v_2": "4"}, p.Records[0].Fields)
	})
	t.Run("wrong field counts are rejected with line numbers, neighbours load", func(t *testing.T) {
		p := read("a,b\n1,2\n3\n4,5,6\n7,8\n")
		require.Len(t, p.Records, 2)
		assert.Equal(t, "1", p.Records[0].Fields["a"])
		assert.Equal(t, "7", p.Records[1].Fields["a"])
		assert.Equal(t, []parsedReject{
			{Line: 3, Reason: "line 3: expected 2 fields, got 1", Raw: "3"},
			{Line: 4, Reason: "line 4: expected 2 fields, got 3", Raw: "4,5,6"},
		}, p.Rejects)
	})
	t.Run("bare quote rejects one line", func(t *testing.T) {
		p := read("a,b\n1,2\nx\"y,3\n4,5\n")
		require.Len(t, p.Records, 2)
		require.Len(t, p.Rejects, 1)
		assert.Equal(t, 3, p.Rejects[0].Line)
		assert.Equal(t, "x\"y,3", p.Rejects[0].Raw)
	})
	t.Run("quote never closed fails with the line", func(t *testing.T) {
		p := read("a,b\n1,2\n\"open,3\n4,5\n6,7\n")
		require.Len(t, p.Records, 1)
		assert.Contains(t, p.Fatal, "line 3: quoted field is never closed")
	})
	t.Run("unclosed quote on the last line is only that row", func(t *testing.T) {
		p := read("a,b\n1,2\n\"open,3")
		require.Len(t, p.Records, 1)
		require.Len(t, p.Rejects, 1)
		assert.Empty(t, p.Fatal)
		assert.Equal(t, "\"open,3", p.Rejects[0].Raw)
	})
	t.Run("stray quote closing a multi-line field mid-file", func(t *testing.T) {
		p := read("a,b\n1,\"x\ny\"z\n2,ok\n")
		require.Len(t, p.Rejects, 1)
		assert.Equal(t, 2, p.Rejects[0].Line)
		require.Len(t, p.Records, 1)
		assert.Equal(t, "2", p.Records[0].Fields["a"])
	})
	t.Run("header syntax error is fatal", func(t *testing.T) {
		p := read("a,b\"c\n1,2\n")
		assert.Contains(t, p.Fatal, "line 1: header row")
	})
}

// chunkedReader hands out a few bytes at a time, as a network body does,
// so record text must be stitched across reads.
type chunkedReader struct {
	s string
	n int
}

func (c *chunkedReader) Read(p []byte) (int, error) {
	if c.s == "" {
		return 0, io.EOF
	}
	k := min(c.n, len(p), len(c.s))
	copy(p, c.s[:k])
	c.s = c.s[k:]
	return k, nil
}

func TestRawTextAcrossSmallReads(t *testing.T) {
	var b strings.Builder
	b.WriteString("name,comment\n")
	for i := 0; i < 2000; i++ {
		b.WriteString("flow,\"a, b\nc\"\n")
	}
	whole := parseAll(t, strings.NewReader(b.String()))
	for _, n := range []int{1, 3, 7, 4096} {
		got := parseAll(t, &chunkedReader{s: b.String(), n: n})
		require.Equal(t, whole, got, "chunk size %d", n)
	}
	require.Len(t, whole.Records, 2000)
	assert.Equal(t, "flow,\"a, b\nc\"", whole.Records[1999].Raw)
	assert.Equal(t, 2+2*1999, whole.Records[1999].Line)
}
