package extract

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
