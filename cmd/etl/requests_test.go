package main

import (
	"net/http"
	"sync"
)

var hitsMu sync.Mutex

func countRequests(h http.Handler, n *int) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hitsMu.Lock()
		*n++
		hitsMu.Unlock()
		h.ServeHTTP(w, r)
	})
}
