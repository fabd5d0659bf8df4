package reportcsv

import (
	"errors"
	"io"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// endless yields n bytes of 'x' (no quote, comma or newline), then EOF.
type endless struct{ n int }

func (e *endless) Read(p []byte) (int, error) {
	if e.n <= 0 {
		return 0, io.EOF
	}
	k := min(len(p), e.n)
	for i := range p[:k] {
		p[i] = 'x'
	}
	e.n -= k
	return k, nil
}

func TestFieldOverTheCapFailsTheRead(t *testing.T) {
	big := strings.Repeat("y", 1025)
	cases := []struct {
		name, csv string
		want      string
	}{
		{"quoted", "a,b\n1,2\n\"" + big + "\",3\n", "line 3 column 1: a field is longer than 1KiB, the max_field cap"},
		{"unquoted", "a,b\n1,2\n3," + big + "\n", "line 3 column 2:"},
		{"in the header", "a," + big + "\n1,2\n", "header row: line 1 column 2:"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := readAllRecords(tc.csv, 1024)
			var fe *FieldTooLargeError
			require.True(t, errors.As(err, &fe), "%v", err)
			assert.Contains(t, err.Error(), tc.want)
			assert.Contains(t, err.Error(), "raise max_field")
		})
	}
	assert.NoError(t, readAllRecords("a,b\n1,"+big[:1024]+"\n", 1024), "a field of exactly the cap is read")
	assert.NoError(t, readAllRecords("a,b\n1,"+big+"\n", 0), "0 means the 1MiB default")
}

func readAllRecords(s string, maxField int) error {
	rd, err := NewReaderMax(strings.NewReader(s), maxField)
	if err != nil {
		return err
	}
	for {
		if _, err := rd.Next(); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
	}
}

// An unclosed quote early in a large download made encoding/csv read the
// whole rest of the file into one field. Now the read stops at the cap: the
// memory it takes is bounded by the cap, not by the file.
func TestRunawayFieldIsCutOffAtTheCap(t *testing.T) {
	const fileSize = 64 << 20
	in := io.MultiReader(strings.NewReader("a,b\n1,2\n\""), &endless{n: fileSize})
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	rd, err := NewReaderMax(in, 64<<10)
	require.NoError(t, err)
	_, err = rd.Next()
	require.NoError(t, err)
	_, err = rd.Next()
	runtime.ReadMemStats(&after)
	var fe *FieldTooLargeError
	require.True(t, errors.As(err, &fe), "%v", err)
	assert.Equal(t, "the record after line 2: a field is longer than 64KiB, the max_field cap: if the report really holds such values, raise max_field in this source's block of pipelines.yaml", err.Error())
	alloc := after.TotalAlloc - before.TotalAlloc
	t.Logf("allocated %d KiB reading a 64 MiB runaway field with a 64 KiB cap", alloc>>10)
	assert.Less(t, alloc, uint64(8<<20), "bounded by the cap, not the 64 MiB file")
	_, err = rd.Next()
	assert.ErrorIs(t, err, io.EOF, "nothing after a cut-off record can be trusted")
}
