package testsupport

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestTerminalRows(t *testing.T) {
	cases := []struct {
		name  string
		out   string
		width int
		want  []string
	}{
		{"lines", "a\r\nb\r\n", 10, []string{"a", "b"}},
		{"long line wraps", "abcdefgh\r\n", 5, []string{"abcde", "fgh"}},
		{"exactly the width does not add a row", "abcde\r\nf\r\n", 5, []string{"abcde", "f"}},
		{"no wrap cuts at the edge", "\x1b[?7labcdefgh\x1b[?7h\r\nx\r\n", 5, []string{"abcdh", "x"}},
		{"erase the last two rows and print over them", "a\r\nb\r\nc\r\n\x1b[1A\x1b[2K\x1b[1A\x1b[2Kd\r\n", 10, []string{"a", "d"}},
		{"colours ignored", "\x1b[31mred\x1b[0m\r\n", 10, []string{"red"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, TerminalRows([]byte(tc.out), tc.width))
		})
	}
}
