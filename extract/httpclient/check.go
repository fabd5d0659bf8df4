package httpclient

import "encoding/json"

// Keys lists the top-level keys of a JSON object body, sorted; nil when the
// body is not an object.
func Keys(raw []byte) []string {
	var m map[string]json.RawMessage
	if json.Unmarshal(raw, &m) != nil {
		return nil
	}
	return sortedKeys(m)
}

// JoinKeys is keys as one list for a message.
func JoinKeys(keys []string) string { return quoteList(keys) }
