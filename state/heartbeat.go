package state

import (
	"sync"
	"time"
)

// Heartbeat renews a held lock at HeartbeatInterval(ttl) until stopped. Both
// lock protocols (file and ClickHouse) share it: they differ only in how one
// beat renews the lock and tells whether it is still theirs.
type Heartbeat struct {
	stopOnce sync.Once
	lostOnce sync.Once
	stop     chan struct{}
	done     chan struct{}
	lost     chan struct{}
}

// HeartbeatInterval is a quarter of the ttl, between 10ms and a minute: a
// lock survives a few failed beats before others may take it over.
func HeartbeatInterval(ttl time.Duration) time.Duration {
	d := ttl / 4
	if d > time.Minute {
		d = time.Minute
	}
	if d < 10*time.Millisecond {
		d = 10 * time.Millisecond
	}
	return d
}

// StartHeartbeat calls beat every HeartbeatInterval(ttl), with that
// interval as the beat's time budget. A beat that returns false means the
// lock is no longer ours: the heartbeat stops and Lost is closed. A beat
// that fails for a passing reason returns true and is retried at the next
// tick, since the ttl spans several.
func StartHeartbeat(ttl time.Duration, beat func(every time.Duration) bool) *Heartbeat {
	h := &Heartbeat{stop: make(chan struct{}), done: make(chan struct{}), lost: make(chan struct{})}
	every := HeartbeatInterval(ttl)
	go func() {
		defer close(h.done)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-h.stop:
				return
			case <-t.C:
			}
			if !beat(every) {
				h.lostOnce.Do(func() { close(h.lost) })
				return
			}
		}
	}()
	return h
}

// Lost is closed when a beat found the lock taken over.
func (h *Heartbeat) Lost() <-chan struct{} { return h.lost }

// Stop ends the heartbeat and waits for a beat in flight to finish.
func (h *Heartbeat) Stop() {
	h.stopOnce.Do(func() { close(h.stop) })
	<-h.done
}
