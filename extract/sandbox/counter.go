package sandbox

import "sync"

// Counter counts events by key, e.g. a fake's requests by endpoint, so tests
// can assert how many calls an extractor made. The zero value is ready to
// use and it is safe for concurrent use: every request goroutine counts.
type Counter struct {
	mu     sync.Mutex
	counts map[string]int
}

// Inc adds one to key.
func (c *Counter) Inc(key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.counts == nil {
		c.counts = map[string]int{}
	}
	c.counts[key]++
}

// Get returns the count of key, 0 for a key never counted.
func (c *Counter) Get(key string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.counts[key]
}

// Snapshot returns a copy of every count, never nil.
func (c *Counter) Snapshot() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(map[string]int, len(c.counts))
	for k, n := range c.counts {
		out[k] = n
	}
	return out
}

// Reset sets every count back to 0.
func (c *Counter) Reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.counts = nil
}
