package reportcsv

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
)

// FuzzReader feeds the reader arbitrary bytes (it must never panic and must
// always finish) and then a well-formed CSV built from the same bytes, which
// must come back row for row and field for field.
func FuzzReader(f *testing.F) {
	for _, seed := range []string{
		"a,b\n1,2\n",
		"\xef\xbb\xbfFlow Name,Views\r\n\"x, \"\"y\"\"\",3\r\n",
		"a\n\"unclosed\n",
		"a,b\n\"x\ny\"z\n",
		"\x03\x00hello\x00wor,ld\x00\"q\"\x00line\nbreak\x00\x00last",
		"",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		readEverything(t, data)

		doc, want := wellFormed(data)
		rd, err := NewReader(bytes.NewReader(doc))
		if err != nil {
			t.Fatalf("well-formed CSV refused: %v\n%q", err, doc)
		}
		var got []Record
		for {
			rec, err := rd.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatalf("well-formed CSV: %v\n%q", err, doc)
			}
			got = append(got, rec)
		}
		if len(got) != len(want) {
			t.Fatalf("got %d rows, want %d\n%q", len(got), len(want), doc)
		}
		prevLine := 1
		for i, rec := range got {
			if rec.Line <= prevLine {
				t.Fatalf("row %d: line %d does not advance past %d", i, rec.Line, prevLine)
			}
			prevLine = rec.Line
			for j, v := range want[i] {
				if g := rec.Fields[fmt.Sprintf("c%d", j)]; g != v {
					t.Fatalf("row %d field %d: got %q want %q\n%q", i, j, g, v, doc)
				}
			}
		}
	})
}

// readEverything parses arbitrary input to the end; each Next must consume
// input, so the loop is bounded by the input's length.
func readEverything(t *testing.T, data []byte) {
	rd, err := NewReader(bytes.NewReader(data))
	if err != nil {
		return
	}
	for i := 0; i <= len(data)+1; i++ {
		rec, err := rd.Next()
		if errors.Is(err, io.EOF) {
			return
		}
		var re *RowError
		if errors.As(err, &re) {
			if re.Line < 1 || rec.Line != re.Line {
				t.Fatalf("row error at line %d, record line %d", re.Line, rec.Line)
			}
			continue
		}
		if err != nil {
			return
		}
		if len(rec.Fields) != len(rd.Header()) {
			t.Fatalf("record has %d fields, header %d", len(rec.Fields), len(rd.Header()))
		}
	}
	t.Fatalf("reader did not finish %d bytes of input", len(data))
}

// wellFormed turns fuzz bytes into an RFC 4180 document and the rows it
// holds. Byte 0 chooses the column count and the options (BOM, CRLF, which
// fields are left unquoted); NUL bytes separate cells.
func wellFormed(data []byte) ([]byte, [][]string) {
	var opts byte
	if len(data) > 0 {
		opts, data = data[0], data[1:]
	}
	cols := 1 + int(opts%4)
	bom, crlf := opts&0x10 != 0, opts&0x20 != 0
	// encoding/csv turns a quoted CRLF into LF, so a CR in a cell would not
	// survive; everything else (quotes, commas, LF, any bytes) must.
	cells := strings.Split(strings.ReplaceAll(string(data), "\r", ""), "\x00")
	var rows [][]string
	for i := 0; i < len(cells); i += cols {
		row := make([]string, cols)
		copy(row, cells[i:min(i+cols, len(cells))])
		rows = append(rows, row)
	}
	eol := "\n"
	if crlf {
		eol = "\r\n"
	}
	var b bytes.Buffer
	if bom {
		b.WriteString("\xef\xbb\xbf")
	}
	for j := 0; j < cols; j++ {
		if j > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "c%d", j)
	}
	b.WriteString(eol)
	for r, row := range rows {
		for j, v := range row {
			if j > 0 {
				b.WriteByte(',')
			}
			safe := v != "" && !strings.ContainsAny(v, ",\"\n")
			if safe && (r+j+int(opts>>6))%2 == 0 {
				b.WriteString(v)
				continue
			}
			b.WriteByte('"')
			b.WriteString(strings.ReplaceAll(v, `"`, `""`))
			b.WriteByte('"')
		}
		b.WriteString(eol)
	}
	return b.Bytes(), rows
}
