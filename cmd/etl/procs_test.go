package main

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestProcsBesideALocalServerLeaveItOne(t *testing.T) {
	for _, tc := range []struct {
		name       string
		current    int
		env        string
		serverHere bool
		want       int
	}{
		{"local server, 2 processors", 2, "", true, 1},
		{"local server, 8 processors", 8, "", true, 7},
		{"local server, 1 processor", 1, "", true, 1},
		{"remote server", 2, "", false, 2},
		{"GOMAXPROCS set by the user", 2, "2", true, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, procsBeside(tc.current, tc.env, tc.serverHere))
		})
	}
}
