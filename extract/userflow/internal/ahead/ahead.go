// Package ahead puts a decoding stage between a page walk and the code
// that handles its pages, for the Userflow session walk: a cursor walk
// cannot overlap its requests, so pages decode off the walk instead.
package ahead

import (
	"context"
	"sync"
)

// Decode puts a decoding stage between a page walk and the code that
// handles the pages. walk produces pages (calling emit for each, in order);
// decode turns each into its items on up to workers goroutines at once;
// handle receives the decoded pages in the order walk produced them, on the
// caller's goroutine.
//
// A cursor walk cannot overlap its requests, and decoding a page of JSON
// costs as much as fetching it from a close API: done in line, the two
// add up page after page. With the cursor read cheaply from the body's
// ends the walk asks for the next page at once, and pages decode in
// parallel while earlier ones are handled.
//
// At most ahead pages are between walk and handle (emitted, decoding or
// decoded), which bounds memory: emit blocks while that many are waiting.
// The first error of walk, decode or handle cancels the context walk was
// given and is returned; handle's errors and decode's come back as they
// were returned (a handler may stop the walk with its own sentinel).
// Every goroutine has ended when Decode returns.
func Decode[B, P any](ctx context.Context, workers, ahead int,
	walk func(ctx context.Context, emit func(B) error) error,
	decode func(B) (P, error),
	handle func(P) error) error {
	workers, ahead = max(workers, 1), max(ahead, 1)
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)

	type slot struct {
		done chan struct{}
		page P
		err  error
	}
	queue := make(chan *slot, ahead)
	sem := make(chan struct{}, workers)
	var decoders sync.WaitGroup
	var walkErr error
	walked := make(chan struct{})
	go func() {
		defer close(walked)
		defer close(queue)
		walkErr = walk(ctx, func(b B) error {
			s := &slot{done: make(chan struct{})}
			// Queued before it decodes, so handle sees pages in walk order
			// whichever decoder finishes first.
			select {
			case queue <- s:
			case <-ctx.Done():
				return context.Cause(ctx)
			}
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				s.err = context.Cause(ctx)
				close(s.done)
				return s.err
			}
			decoders.Add(1)
			go func() {
				defer decoders.Done()
				s.page, s.err = decode(b)
				<-sem
				close(s.done)
			}()
			return nil
		})
	}()

	var first error
	for s := range queue {
		<-s.done
		if first != nil {
			continue
		}
		err := s.err
		if err == nil {
			err = handle(s.page)
		}
		if err != nil {
			first = err
			cancel(err)
		}
	}
	<-walked
	decoders.Wait()
	if first != nil {
		return first
	}
	return walkErr
}
