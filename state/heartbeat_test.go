package state

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestHeartbeatIntervalIsAQuarterOfTheTTLWithinBounds(t *testing.T) {
	for _, c := range []struct{ ttl, want time.Duration }{
		{time.Second, 250 * time.Millisecond},
		{6 * time.Hour, time.Minute},
		{time.Millisecond, 10 * time.Millisecond},
	} {
		require.Equal(t, c.want, HeartbeatInterval(c.ttl), "ttl %s", c.ttl)
	}
}

func TestHeartbeatClosesLostWhenABeatSaysTheLockIsGone(t *testing.T) {
	var beats atomic.Int32
	h := StartHeartbeat(40*time.Millisecond, func(every time.Duration) bool {
		require.Equal(t, 10*time.Millisecond, every)
		return beats.Add(1) < 3
	})
	select {
	case <-h.Lost():
	case <-time.After(5 * time.Second):
		t.Fatal("Lost not closed after a failed beat")
	}
	h.Stop() // returns although the loop already ended
	require.EqualValues(t, 3, beats.Load(), "no beat after the lock was found gone")
}

func TestHeartbeatStopEndsBeatsAndKeepsLostOpen(t *testing.T) {
	var beats atomic.Int32
	h := StartHeartbeat(40*time.Millisecond, func(time.Duration) bool { beats.Add(1); return true })
	require.Eventually(t, func() bool { return beats.Load() >= 2 }, 5*time.Second, 5*time.Millisecond)
	h.Stop()
	n := beats.Load()
	time.Sleep(50 * time.Millisecond)
	require.Equal(t, n, beats.Load(), "beats after Stop")
	select {
	case <-h.Lost():
		t.Fatal("Lost closed by Stop")
	default:
	}
	h.Stop() // twice is harmless
}
