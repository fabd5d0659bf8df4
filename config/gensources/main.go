// Command gensources writes the sources: section of the default
// pipelines.yaml from each registered source's sample.yaml (`make generate`).
package main

import (
	"bytes"
	"fmt"
	"os"

	"github.com/adoptionlabs/etl/config"
	_ "github.com/adoptionlabs/etl/extract/all"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: gensources PIPELINES_YAML")
		os.Exit(2)
	}
	path := os.Args[1]
	old, err := os.ReadFile(path)
	if err != nil {
		fmt.Fprintln(os.Stderr, "gensources:", err)
		os.Exit(1)
	}
	out, err := config.WithSources(old)
	if err != nil {
		fmt.Fprintf(os.Stderr, "gensources: %s: %v\n", path, err)
		os.Exit(1)
	}
	if bytes.Equal(out, old) {
		return
	}
	if err := os.WriteFile(path, out, 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "gensources:", err)
		os.Exit(1)
	}
}
