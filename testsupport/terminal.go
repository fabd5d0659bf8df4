package testsupport

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// TerminalRows replays what a program wrote to a terminal width columns wide
// and returns the rows a person would find on it and in its scrollback at the
// end, trailing empty rows dropped. It understands what etl's live view uses
// (carriage return, newline, cursor up, erase line, line wrap on and off)
// and ignores other escape sequences, so a test can count the lines that
// reach the screen and check that no redraw tore one.
func TerminalRows(out []byte, width int) []string {
	rows := [][]rune{nil}
	r, c, wrap := 0, 0, true
	put := func(ch rune) {
		if c >= width {
			if !wrap {
				c = width - 1
			} else {
				r, c = r+1, 0
				if r == len(rows) {
					rows = append(rows, nil)
				}
			}
		}
		for len(rows[r]) <= c {
			rows[r] = append(rows[r], ' ')
		}
		rows[r][c] = ch
		c++
	}
	for i := 0; i < len(out); {
		switch b := out[i]; {
		case b == '\r':
			c, i = 0, i+1
		case b == '\n': // a tty's default output translation (onlcr) makes it \r\n
			r, c, i = r+1, 0, i+1
			if r == len(rows) {
				rows = append(rows, nil)
			}
		case b == 0x1b && i+1 < len(out) && out[i+1] == '[':
			j := i + 2
			for j < len(out) && (out[j] < 0x40 || out[j] > 0x7e) {
				j++
			}
			if j == len(out) {
				return trimRows(rows)
			}
			params := string(out[i+2 : j])
			switch out[j] {
			case 'A':
				n, err := strconv.Atoi(params)
				if err != nil || n < 1 {
					n = 1
				}
				r = max(0, r-n)
			case 'K':
				if params == "2" {
					rows[r] = nil
				}
			case 'l':
				if params == "?7" {
					wrap = false
				}
			case 'h':
				if params == "?7" {
					wrap = true
				}
			}
			i = j + 1
		case b < 0x20:
			i++
		default:
			ch, n := utf8.DecodeRune(out[i:])
			put(ch)
			i += n
		}
	}
	return trimRows(rows)
}

func trimRows(rows [][]rune) []string {
	out := make([]string, len(rows))
	last := -1
	for i, row := range rows {
		out[i] = strings.TrimRight(string(row), " ")
		if out[i] != "" {
			last = i
		}
	}
	return out[:last+1]
}
