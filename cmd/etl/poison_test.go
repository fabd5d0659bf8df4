package main

import (
	"os"
	"testing"
)

// The binaries these tests run poison the memory they reuse (the Userflow
// walk's page bodies) as it comes back, so that a row still pointing into
// it loads as garbage and fails the test, instead of loading another
// page's text by chance.
func TestMain(m *testing.M) {
	os.Setenv("ETL_POISON_REUSED", "1")
	os.Exit(m.Run())
}
