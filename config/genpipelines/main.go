// Command genpipelines writes the sink: and sources: sections of the
// default pipelines.yaml from each registered sink's and source's
// sample.yaml (`make generate`).
package main

import (
	"bytes"
	"fmt"
	"os"

	"github.com/adoptionlabs/etl/config"
	_ "github.com/adoptionlabs/etl/extract/all"
	_ "github.com/adoptionlabs/etl/load/all"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: genpipelines PIPELINES_YAML")
		os.Exit(2)
	}
	path := os.Args[1]
	old, err := os.ReadFile(path)
	if err != nil {
		fmt.Fprintln(os.Stderr, "genpipelines:", err)
		os.Exit(1)
	}
	out, err := config.WithSamples(old)
	if err != nil {
		fmt.Fprintf(os.Stderr, "genpipelines: %s: %v\n", path, err)
		os.Exit(1)
	}
	if bytes.Equal(out, old) {
		return
	}
	if err := os.WriteFile(path, out, 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "genpipelines:", err)
		os.Exit(1)
	}
}
