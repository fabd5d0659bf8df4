// Package all registers every source; the binary imports it once.
package all

import (
	_ "github.com/adoptionlabs/etl/extract/userflow"
	_ "github.com/adoptionlabs/etl/extract/whatfix"
)
