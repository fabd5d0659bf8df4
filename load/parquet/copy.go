package parquet

import (
	"errors"
	"fmt"
	"io"

	parquetgo "github.com/parquet-go/parquet-go"
)

// copier copies chosen rows of row groups into a file being written,
// column by column, the way Write hands Arrow columns to parquet-go: no
// row is assembled, values go from a source page to a column writer.
type copier struct {
	buf, out []parquetgo.Value
	// rows buffers the rows of files in an older schema, copied row by row.
	rows []parquetgo.Row
}

// copyColumns appends the rows of rg that keep marks (rg in the writer's
// schema) to the row group being written to cws, and returns how many rows
// and how many bytes of values (a number counts 8) it wrote.
func (c *copier) copyColumns(cws []*parquetgo.ColumnWriter, rg parquetgo.RowGroup, keep []bool) (int, int64, error) {
	if len(cws) != len(rg.ColumnChunks()) {
		return 0, 0, fmt.Errorf("a row group of %d columns cannot be copied into a file of %d", len(rg.ColumnChunks()), len(cws))
	}
	rows := 0
	for _, k := range keep {
		if k {
			rows++
		}
	}
	if rows == 0 {
		return 0, 0, nil
	}
	var size int64
	for col, chunk := range rg.ColumnChunks() {
		n, err := c.copyColumn(cws[col], chunk, keep)
		if err != nil {
			return 0, 0, fmt.Errorf("column %d: %w", col, err)
		}
		size += n
	}
	return rows, size, nil
}

func (c *copier) copyColumn(cw *parquetgo.ColumnWriter, chunk parquetgo.ColumnChunk, keep []bool) (int64, error) {
	if cap(c.buf) < rowsPerWrite {
		c.buf = make([]parquetgo.Value, rowsPerWrite)
	}
	buf := c.buf[:rowsPerWrite]
	out := c.out[:0]
	defer func() { c.out = out[:0] }()
	var size int64
	// flush writes the whole rows of out, keeping a row that may go on
	// in the next page (a repeated column's values) as a copy.
	flush := func(all bool) error {
		end := len(out)
		if !all {
			// [0, end) are whole rows; the last row may go on in the
			// next page.
			end--
			for end > 0 && out[end].RepetitionLevel() != 0 {
				end--
			}
		}
		if end <= 0 {
			return nil
		}
		n, err := writeColumn(cw, out[:end], out[0].Kind() == parquetgo.ByteArray)
		if err != nil {
			return err
		}
		size += n
		rest := copy(out, out[end:])
		out = out[:rest]
		for i := range out {
			out[i] = out[i].Clone() // its page is released next
		}
		return nil
	}
	pages := chunk.Pages()
	defer pages.Close()
	row := -1
	for {
		p, err := pages.ReadPage()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return 0, err
		}
		values := p.Values()
		for {
			n, err := values.ReadValues(buf)
			for _, v := range buf[:n] {
				if v.RepetitionLevel() == 0 {
					row++
				}
				if row < len(keep) && keep[row] {
					out = append(out, v)
				}
			}
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				parquetgo.Release(p)
				return 0, err
			}
		}
		err = flush(false)
		parquetgo.Release(p)
		if err != nil {
			return 0, err
		}
	}
	if row+1 != len(keep) {
		return 0, fmt.Errorf("the column holds %d rows, the row group %d", row+1, len(keep))
	}
	return size, flush(true)
}

// copyRows copies the rows of rg that keep marks through conv, a file
// written before a column was added read in today's schema, row by row.
func (c *copier) copyRows(pw *parquetgo.Writer, rg parquetgo.RowGroup, conv parquetgo.Conversion, keep []bool) (int, int64, error) {
	if cap(c.rows) < rowsPerWrite {
		c.rows = make([]parquetgo.Row, rowsPerWrite)
	}
	buf := c.rows[:rowsPerWrite]
	rows := parquetgo.ConvertRowGroup(rg, conv).Rows()
	defer rows.Close()
	written, at := 0, 0
	var size int64
	for {
		n, err := rows.ReadRows(buf)
		kept := buf[:0]
		for _, r := range buf[:n] {
			if at < len(keep) && keep[at] {
				kept = append(kept, r)
				for _, v := range r {
					size += valueBytes(v)
				}
			}
			at++
		}
		if len(kept) > 0 {
			if _, werr := pw.WriteRows(kept); werr != nil {
				return 0, 0, werr
			}
			written += len(kept)
		}
		if errors.Is(err, io.EOF) {
			return written, size, nil
		}
		if err != nil {
			return 0, 0, err
		}
	}
}

func valueBytes(v parquetgo.Value) int64 {
	if v.Kind() == parquetgo.ByteArray {
		return int64(len(v.ByteArray()))
	}
	return 8
}
