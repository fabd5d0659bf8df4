package extract

import "context"

// The abilities below are optional: a source's Config has one when it
// implements the interface, and the commands find it by type assertion.

// Checker is a source config that can test its undocumented guesses
// against the live API, like a connector's connection check (etl check).
type Checker interface {
	Check(ctx context.Context, env Env) ([]Finding, error)
}

// Counters is a source config that counts more than pages and rows (token
// fetches of a token-authenticated API); a run prints them after its
// summary.
type Counters interface {
	Counters() map[string]int64
}

// Finding is what `etl check` learnt about one endpoint from at most two
// small requests: whether it answered, and whether each undocumented guess
// holds. Held lists the guesses confirmed; Wrong the ones the answer
// contradicts (or the endpoint failing), each naming the setting to change;
// Unknown what the answer could not tell (e.g. no data in the range).
type Finding struct {
	Endpoint string
	URL      string
	Held     []string
	Wrong    []string
	Unknown  []string
}

// OK reports whether every guess that could be tested held.
func (f Finding) OK() bool { return len(f.Wrong) == 0 }
