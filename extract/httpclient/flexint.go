package httpclient

import (
	"fmt"
	"strconv"
	"strings"
)

// FlexInt reads a number that may arrive as a JSON number or as a string
// ("3", 3, 3.0); null and "" read as 0. The bot platform and Technowiz both
// send paging counters either way.
type FlexInt int

// UnmarshalJSON implements json.Unmarshaler.
func (n *FlexInt) UnmarshalJSON(b []byte) error {
	s := strings.Trim(strings.TrimSpace(string(b)), `"`)
	if s == "" || s == "null" {
		*n = 0
		return nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return fmt.Errorf("want a number, got %s", b)
	}
	*n = FlexInt(f)
	return nil
}
