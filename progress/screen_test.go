package progress

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/adoptionlabs/etl/testsupport"
)

// rows is what a 120-column terminal shows after out was written to it.
func rows(out *syncBuffer) []string {
	return testsupport.TerminalRows([]byte(out.String()), 120)
}

func TestScreenPrintsLinesAboveTheLiveView(t *testing.T) {
	var out syncBuffer
	s := NewScreen(&out)
	s.Draw([]string{"view 1", "view 2"})
	_, err := s.Write([]byte("WARN first\n"))
	require.NoError(t, err)
	assert.Equal(t, []string{"WARN first", "view 1", "view 2"}, rows(&out))

	// A line written in pieces is printed whole, never with the view on its row.
	_, _ = s.Write([]byte("WARN sec"))
	s.Draw([]string{"view 3"})
	_, _ = s.Write([]byte("ond\nWARN third\n"))
	assert.Equal(t, []string{"WARN first", "WARN second", "WARN third", "view 3"}, rows(&out))

	s.Clear()
	assert.Equal(t, []string{"WARN first", "WARN second", "WARN third"}, rows(&out), "the view leaves nothing behind")
}

func TestScreenViewWiderThanTheTerminalLeavesNothingBehind(t *testing.T) {
	var out syncBuffer
	s := NewScreen(&out)
	s.Draw([]string{strings.Repeat("x", 300), "short"})
	assert.Len(t, rows(&out), 2, "a long view line is cut at the edge, not wrapped")
	s.Draw([]string{"next"})
	s.Clear()
	assert.Empty(t, rows(&out))
}

// TestScreenNeverTearsALine writes warnings from many goroutines while the
// view redraws as fast as it can: every warning must end up whole on its own
// row, and the view must leave nothing behind.
func TestScreenNeverTearsALine(t *testing.T) {
	var out syncBuffer
	s := NewScreen(&out)
	log := slog.New(slog.NewTextHandler(s, &slog.HandlerOptions{ReplaceAttr: dropTime}))
	stop := make(chan struct{})
	drawn := make(chan struct{})
	go func() {
		defer close(drawn)
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
				s.Draw([]string{fmt.Sprintf("userflow   chunks %d/100", i), "whatfix    chunks 1/2"})
			}
		}
	}()
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 50 {
				log.Warn("http: retrying", "worker", g, "attempt", i)
			}
		}()
	}
	wg.Wait()
	close(stop)
	<-drawn
	s.Clear()
	got := rows(&out)
	require.Len(t, got, 8*50)
	for _, row := range got {
		assert.Regexp(t, `^level=WARN msg="http: retrying" worker=\d attempt=\d+$`, row)
	}
}

func dropTime(_ []string, a slog.Attr) slog.Attr {
	if a.Key == slog.TimeKey {
		return slog.Attr{}
	}
	return a
}

func TestWarningsLandAboveTheLiveDisplay(t *testing.T) {
	var out syncBuffer
	scr := NewScreen(&out)
	log := slog.New(slog.NewTextHandler(scr, &slog.HandlerOptions{ReplaceAttr: dropTime}))
	d := New(scr, true, log, 0)
	running(d)
	d.Run(context.Background())
	require.Eventually(t, func() bool { return strings.Contains(out.String(), "chunks 1/4") }, 3*time.Second, 10*time.Millisecond)
	log.Warn("http: retrying", "status", 503)
	got := rows(&out)
	require.Len(t, got, 2, "the warning, then the view below it: %q", got)
	assert.Equal(t, `level=WARN msg="http: retrying" status=503`, got[0])
	assert.True(t, strings.HasPrefix(got[1], "userflow   chunks 1/4"), got[1])
	d.Stop()
	assert.Equal(t, []string{`level=WARN msg="http: retrying" status=503`}, rows(&out))
}
