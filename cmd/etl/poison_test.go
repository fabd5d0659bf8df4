package main

import (
	"os"
	"testing"

	"github.com/adoptionlabs/etl/pipeline"
)

// The binaries these tests run poison the memory they reuse (the Userflow
// walk's page bodies) as it comes back, so that a row still pointing into
// it loads as garbage and fails the test, instead of loading another
// page's text by chance.
//
// Earlier runs of these tests left file state in ./.etl-state, the shared
// directory of releases before each destination kept its own: a test would
// carry it over as its own (pipeline.LegacyStateDir). Tests that mean to
// carry state over build that directory themselves.
func TestMain(m *testing.M) {
	os.Setenv("ETL_POISON_REUSED", "1")
	if err := os.RemoveAll(pipeline.LegacyStateDir); err != nil {
		panic(err)
	}
	os.Exit(m.Run())
}
