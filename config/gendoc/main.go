// Command gendoc writes docs/config.md from the registered sinks' and
// sources' config structs (`make generate`); a test in config fails when
// it is stale.
package main

import (
	"fmt"
	"os"

	"github.com/adoptionlabs/etl/config"
	_ "github.com/adoptionlabs/etl/extract/all"
	_ "github.com/adoptionlabs/etl/load/all"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: gendoc OUT.md")
		os.Exit(2)
	}
	doc, err := config.Doc()
	if err == nil {
		err = os.WriteFile(os.Args[1], []byte(doc), 0o644)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "gendoc:", err)
		os.Exit(1)
	}
}
