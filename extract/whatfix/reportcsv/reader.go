// Package reportcsv reads report downloads (RFC 4180 CSV with a header row)
// as a stream of records keyed by column name, so that a report of any size
// is parsed in constant memory and a malformed row costs that row only.
package reportcsv

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Record is one data row.
type Record struct {
	// Line is the file's line number (1-based) where the record starts; a
	// quoted newline makes a record span several lines.
	Line int `json:"line"`
	// Fields maps each header name (duplicates suffixed _2, _3, …) to its
	// value. Nil for a row that is returned with a *RowError.
	Fields map[string]string `json:"fields"`
	// Raw is the record's text as it appears in the file, without its final
	// line break: what a reject shows a person.
	Raw string `json:"raw"`
}

// RowError is a row that cannot be read as a record of the header (wrong
// field count, a misplaced quote). Only that row is lost: the caller can
// reject it and keep calling Next.
type RowError struct {
	Line   int
	Reason string
}

func (e *RowError) Error() string { return "line " + strconv.Itoa(e.Line) + ": " + e.Reason }

// DefaultMaxField is the longest field NewReader accepts.
const DefaultMaxField = 1 << 20

// readAhead is what encoding/csv may have read past the record it parses.
const readAhead = 64 << 10

// FieldTooLargeError is a field over the cap. The rest of the file cannot be
// read: what follows the field is not known to be a record boundary.
type FieldTooLargeError struct {
	// Line is where the record holding the field starts; After is set
	// instead when the record was too long to parse at all.
	Line, After int
	Column      int // 1-based; 0 when unknown
	Limit       int
}

func (e *FieldTooLargeError) Error() string {
	where := fmt.Sprintf("line %d column %d", e.Line, e.Column)
	if e.Column == 0 {
		where = fmt.Sprintf("the record after line %d", e.After)
	}
	return fmt.Sprintf("%s: a field is longer than %s, the max_field cap: if the report really holds such values, raise max_field in this source's block of pipelines.yaml",
		where, sizeText(e.Limit))
}

func sizeText(n int) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return strconv.Itoa(n>>20) + "MiB"
	case n >= 1<<10 && n%(1<<10) == 0:
		return strconv.Itoa(n>>10) + "KiB"
	}
	return strconv.Itoa(n) + " bytes"
}

// errTooLong is the tape refusing to hold more of one record.
var errTooLong = errors.New("record too long")

// Reader streams the records of one CSV report.
type Reader struct {
	csv    *csv.Reader
	tape   *tape
	header []string
	// lastOffset is where the previous record ended in the (BOM-less) input.
	lastOffset int64
	// lastLine is where the previous record started, for errors that carry
	// no position of their own (I/O errors).
	lastLine int
	done     bool
	maxField int
}

// NewReader reads the header row. A byte-order mark is dropped; an empty
// input is a report with no columns and no rows. Fields are capped at
// DefaultMaxField.
func NewReader(r io.Reader) (*Reader, error) { return NewReaderMax(r, DefaultMaxField) }

// NewReaderMax is NewReader with fields capped at maxField bytes (0 means
// DefaultMaxField). A record is held in memory while it is parsed, so the
// cap is what bounds memory against a runaway field (an unclosed quote in a
// large file, a base64 blob).
func NewReaderMax(r io.Reader, maxField int) (*Reader, error) {
	if maxField <= 0 {
		maxField = DefaultMaxField
	}
	br := bufio.NewReader(r)
	if bom, err := br.Peek(3); err == nil && bytes.Equal(bom, []byte("\xef\xbb\xbf")) {
		_, _ = br.Discard(3)
	}
	// The header's column count is not known yet: it gets one field's cap.
	t := &tape{r: br, limit: maxField + readAhead}
	cr := csv.NewReader(t)
	// Field counts are checked here, against the header, so that a bad row
	// becomes a RowError with the row's text instead of aborting the read.
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = false
	cr.ReuseRecord = true
	rd := &Reader{csv: cr, tape: t, maxField: maxField}
	fields, err := cr.Read()
	if errors.Is(err, io.EOF) {
		rd.done = true
		return rd, nil
	}
	if errors.Is(err, errTooLong) {
		return nil, fmt.Errorf("header row: %w", &FieldTooLargeError{Line: 1, After: 0, Limit: maxField})
	}
	if err != nil {
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			return nil, fmt.Errorf("line %d: header row: %w", pe.StartLine, pe.Err)
		}
		return nil, fmt.Errorf("header row: %w", err)
	}
	for i, f := range fields {
		if len(f) > maxField {
			return nil, fmt.Errorf("header row: %w", &FieldTooLargeError{Line: 1, Column: i + 1, Limit: maxField})
		}
	}
	rd.header = uniqueNames(fields)
	t.limit = maxField*max(len(rd.header), 1) + readAhead
	rd.lastOffset = cr.InputOffset()
	t.release(rd.lastOffset)
	return rd, nil
}

// Header returns the column names in file order, made unique.
func (r *Reader) Header() []string { return r.header }

// Next returns the next record, io.EOF after the last one, a *RowError for a
// row that was skipped (Record carries its Line and Raw; call Next again),
// or any other error, after which the rest of the file cannot be read.
func (r *Reader) Next() (Record, error) {
	if r.done {
		return Record{}, io.EOF
	}
	fields, err := r.csv.Read()
	if errors.Is(err, io.EOF) {
		r.done = true
		return Record{}, io.EOF
	}
	if errors.Is(err, errTooLong) {
		r.done = true
		return Record{}, &FieldTooLargeError{After: r.lastLine, Limit: r.maxField}
	}
	end := r.csv.InputOffset()
	raw := r.tape.take(r.lastOffset, end)
	r.lastOffset = end
	if err != nil {
		var pe *csv.ParseError
		if !errors.As(err, &pe) {
			r.done = true
			return Record{}, fmt.Errorf("after line %d: %w", r.lastLine, err)
		}
		r.lastLine = pe.StartLine
		rec := Record{Line: pe.StartLine, Raw: raw}
		if errors.Is(pe.Err, csv.ErrQuote) && pe.StartLine < pe.Line && unclosedQuote(pe, raw) {
			// encoding/csv read to the end of the file looking for the
			// closing quote: every row after StartLine went into this
			// "field", so rejecting it would drop them without a trace.
			r.done = true
			return rec, fmt.Errorf("line %d: quoted field is never closed: lines %d to %d (the end of the file) cannot be read", pe.StartLine, pe.StartLine, pe.Line)
		}
		return rec, &RowError{Line: pe.StartLine, Reason: describe(pe)}
	}
	line, _ := r.csv.FieldPos(0)
	r.lastLine = line
	for i, f := range fields {
		if len(f) > r.maxField {
			r.done = true
			return Record{Line: line}, &FieldTooLargeError{Line: line, Column: i + 1, Limit: r.maxField}
		}
	}
	if len(fields) != len(r.header) {
		return Record{Line: line, Raw: raw}, &RowError{Line: line, Reason: fmt.Sprintf("expected %d fields, got %d", len(r.header), len(fields))}
	}
	m := make(map[string]string, len(fields))
	for i, f := range fields {
		m[r.header[i]] = f
	}
	return Record{Line: line, Fields: m, Raw: raw}, nil
}

// unclosedQuote tells "the file ended inside a quoted field" from "a stray
// quote on the record's last line": encoding/csv reports the first at the
// column just past the last line's text, the second at the quote itself.
func unclosedQuote(pe *csv.ParseError, raw string) bool {
	last := raw
	if i := strings.LastIndexByte(raw, '\n'); i >= 0 {
		last = raw[i+1:]
	}
	last = strings.TrimRight(last, "\r")
	return pe.Column > len(last)
}

func describe(pe *csv.ParseError) string {
	where := fmt.Sprintf("column %d", pe.Column)
	if pe.Line != pe.StartLine {
		where = fmt.Sprintf("line %d, column %d", pe.Line, pe.Column)
	}
	switch {
	case errors.Is(pe.Err, csv.ErrBareQuote):
		return "malformed CSV: a quote inside an unquoted field (" + where + ")"
	case errors.Is(pe.Err, csv.ErrQuote):
		return "malformed CSV: a quoted field is not followed by a comma or line end (" + where + ")"
	}
	return "malformed CSV: " + pe.Err.Error() + " (" + where + ")"
}

// trimRecordText drops the line breaks around a record (blank lines that
// encoding/csv skipped before it, its own final line end).
func trimRecordText(b []byte) string {
	b = bytes.TrimLeft(b, "\r\n")
	b = bytes.TrimSuffix(b, []byte("\n"))
	b = bytes.TrimSuffix(b, []byte("\r"))
	return string(b)
}

// uniqueNames suffixes repeated header names (Views, Views_2, …) and names
// blank ones by position, so every column keeps its value in Fields.
func uniqueNames(fields []string) []string {
	out := make([]string, len(fields))
	seen := make(map[string]bool, len(fields))
	for _, f := range fields {
		seen[f] = true
	}
	used := make(map[string]bool, len(fields))
	for i, f := range fields {
		name := f
		if strings.TrimSpace(name) == "" {
			name = "column_" + strconv.Itoa(i+1)
		}
		if used[name] {
			base := name
			for n := 2; ; n++ {
				name = base + "_" + strconv.Itoa(n)
				if !used[name] && !seen[name] {
					break
				}
			}
		}
		used[name] = true
		out[i] = name
	}
	return out
}

// tape keeps the bytes read from the source that have not yet been handed
// out as a record's text. encoding/csv reads ahead through its own buffer, so
// this holds at most that buffer plus the record being parsed.
type tape struct {
	r     io.Reader
	limit int // most bytes held at once: one record plus the read-ahead
	buf   []byte
	start int   // buf[start:] is live
	base  int64 // input offset of buf[start]
}

func (t *tape) Read(p []byte) (int, error) {
	if len(t.buf)-t.start > t.limit {
		return 0, errTooLong
	}
	n, err := t.r.Read(p)
	t.buf = append(t.buf, p[:n]...)
	return n, err
}

// take returns the record text of the bytes [from, to) and forgets
// everything before to.
func (t *tape) take(from, to int64) string {
	live := t.buf[t.start:]
	lo, hi := int(max(from-t.base, 0)), int(to-t.base)
	hi = min(hi, len(live))
	lo = min(lo, hi)
	out := trimRecordText(live[lo:hi])
	t.release(to)
	return out
}

func (t *tape) release(to int64) {
	n := min(int(to-t.base), len(t.buf)-t.start)
	if n <= 0 {
		return
	}
	t.start += n
	t.base += int64(n)
	// Compact once the dead prefix outweighs the live part: each byte is
	// moved O(1) times and the array stays the size of the read-ahead.
	if t.start > 4096 && t.start > len(t.buf)/2 {
		k := copy(t.buf, t.buf[t.start:])
		t.buf = t.buf[:k]
		t.start = 0
	}
}
