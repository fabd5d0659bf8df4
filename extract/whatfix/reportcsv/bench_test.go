package reportcsv

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"testing"
)

// syntheticReport builds a report the shape of a large "with users" export:
// ~50 MB, quoted names with commas and quotes, a multi-line comment column.
func syntheticReport(size int) ([]byte, int) {
	var b bytes.Buffer
	b.Grow(size + 1024)
	b.WriteString("\xef\xbb\xbfDate,Flow ID,Flow Name,User Email,Views,Completions,Completion Rate (%),Feedback Comment\r\n")
	rows := 0
	for b.Len() < size {
		fmt.Fprintf(&b, "2026-01-%02d,flow-%04d,\"Set up \"\"SSO\"\", step %d\",user%06d@example.com,%d,%d,%.1f,",
			1+rows%28, rows%500, rows%9, rows, rows%97, rows%31, float64(rows%1000)/10)
		if rows%10 == 0 {
			b.WriteString("\"Great, but\nthe second step was slow\"")
		} else {
			b.WriteString("ok")
		}
		b.WriteString("\r\n")
		rows++
	}
	return b.Bytes(), rows
}

// BenchmarkReader reports the parse rate of a ~50 MB report (MB/s from
// SetBytes, rows/s as a custom metric).
func BenchmarkReader(b *testing.B) {
	doc, rows := syntheticReport(50 << 20)
	b.SetBytes(int64(len(doc)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		rd, err := NewReader(bytes.NewReader(doc))
		if err != nil {
			b.Fatal(err)
		}
		n := 0
		for {
			_, err := rd.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			n++
		}
		if n != rows {
			b.Fatalf("parsed %d rows, built %d", n, rows)
		}
	}
	b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}
