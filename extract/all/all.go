// Package all registers every source; the binary imports it once.
package all

import (
	_ "github.com/adoptionlabs/etl/extract/bot"
	_ "github.com/adoptionlabs/etl/extract/technowiz"
	_ "github.com/adoptionlabs/etl/extract/userflow"
	_ "github.com/adoptionlabs/etl/extract/whatfix"
)
