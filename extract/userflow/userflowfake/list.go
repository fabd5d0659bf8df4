package userflowfake

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
)

// lister describes one list endpoint; serveList applies the rules the
// reference gives every list (limit, starting_after, order_by, expand) the
// same way, so they cannot drift between endpoints.
type lister struct {
	resource string // path without the slash, also the cache key
	n        int
	id       func(i int) string
	// order maps each documented order_by field to its sort value.
	order        map[string]func(i int) any
	defaultOrder string
	// filters maps each documented filter parameter to its predicate.
	filters map[string]func(i int, value string) bool
	// required filters answer 400 when absent.
	required []string
	// check validates filter values (enums, numbers) before anything runs.
	check  func(q url.Values) error
	expand []string // documented expandable paths
	render func(i int, ex expansion) any
}

const (
	defaultLimit = 10
	maxLimit     = 100
)

// badRequest is a 400 the handler renders in the API's error shape.
type badRequest struct{ msg string }

func (e badRequest) Error() string { return e.msg }

func badf(format string, args ...any) error { return badRequest{fmt.Sprintf(format, args...)} }

// arrayParam returns the values of a parameter that the API takes either as
// name=v or as name[]=v1&name[]=v2.
func arrayParam(q url.Values, name string) []string {
	return append(append([]string(nil), q[name]...), q[name+"[]"]...)
}

// parseExpand reads expand (and expand[], unless only the repeated form is
// served).
func parseExpand(q url.Values, allowed []string, repeatedOnly bool) (expansion, error) {
	ex := expansion{}
	paths := arrayParam(q, "expand")
	if repeatedOnly {
		if _, ok := q["expand[]"]; ok {
			return nil, badf("unknown query parameter %q", "expand[]")
		}
		paths = q["expand"]
	}
	for _, v := range paths {
		ok := false
		for _, a := range allowed {
			if v == a {
				ok = true
			}
		}
		if !ok {
			return nil, badf("expand: %q cannot be expanded here (expandable: %s)", v, strings.Join(allowed, ", "))
		}
		ex[v] = true
	}
	return ex, nil
}

func (f *Fake) serveList(w http.ResponseWriter, r *http.Request, l lister) {
	if f.opts.Prerender {
		key := r.URL.RequestURI()
		f.cacheMu.Lock()
		body, ok := f.pageCache[key]
		f.cacheMu.Unlock()
		if !ok {
			page, err := f.listPage(r, l)
			if err != nil {
				f.writeError(w, http.StatusBadRequest, "invalid_request", err.Error())
				return
			}
			if body, err = json.Marshal(page); err != nil {
				http.Error(w, err.Error(), http.StatusInternalServerError)
				return
			}
			f.cacheMu.Lock()
			f.pageCache[key] = body
			f.cacheMu.Unlock()
		}
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(body)
		return
	}
	page, err := f.listPage(r, l)
	if err != nil {
		f.writeError(w, http.StatusBadRequest, "invalid_request", err.Error())
		return
	}
	writeJSON(w, http.StatusOK, page)
}

func (f *Fake) listPage(r *http.Request, l lister) (*listJSON, error) {
	q := r.URL.Query()
	for k := range q {
		switch k {
		case "limit", "starting_after", "order_by", "order_by[]", "expand", "expand[]":
			continue
		}
		if _, ok := l.filters[k]; !ok {
			return nil, badf("unknown query parameter %q for /%s", k, l.resource)
		}
	}
	limit := defaultLimit
	if vs, ok := q["limit"]; ok {
		n, err := strconv.Atoi(vs[0])
		if len(vs) != 1 || err != nil || n < 1 || n > maxLimit {
			return nil, badf("limit must be a number between 1 and %d, got %q", maxLimit, strings.Join(vs, ","))
		}
		limit = n
	}
	order := arrayParam(q, "order_by")
	if len(order) == 0 {
		order = []string{l.defaultOrder}
	}
	for _, o := range order {
		if _, ok := l.order[strings.TrimPrefix(o, "-")]; !ok {
			allowed := make([]string, 0, len(l.order))
			for k := range l.order {
				allowed = append(allowed, k)
			}
			sort.Strings(allowed)
			return nil, badf("order_by: /%s cannot be ordered by %q (allowed: %s)", l.resource, o, strings.Join(allowed, ", "))
		}
	}
	ex, err := parseExpand(q, l.expand, f.opts.Variant.RepeatedExpand)
	if err != nil {
		return nil, err
	}
	for _, req := range l.required {
		if q.Get(req) == "" {
			return nil, badf("%s is required for /%s", req, l.resource)
		}
	}
	if l.check != nil {
		if err := l.check(q); err != nil {
			return nil, err
		}
	}
	matches := func(i int) bool {
		for name, pred := range l.filters {
			for _, v := range q[name] {
				if !pred(i, v) {
					return false
				}
			}
		}
		return true
	}

	idx := f.sorted(l, order)
	pos := 0
	if vs, ok := q["starting_after"]; ok {
		found := false
		if len(vs) == 1 && vs[0] != "" {
			// Ids are unique: a position map, not a scan per page (a walk of
			// a million sessions would be quadratic).
			if p, ok := f.positions(l, order, idx)[vs[0]]; ok && matches(idx[p]) {
				pos, found = p+1, true
			}
		}
		if !found {
			return nil, badf("starting_after: no object with id %q in this list", strings.Join(vs, ","))
		}
	}
	out := &listJSON{Object: "list", Data: []any{}}
	lastID := q.Get("starting_after")
	for ; pos < len(idx); pos++ {
		i := idx[pos]
		if !matches(i) {
			continue
		}
		if len(out.Data) == limit {
			out.HasMore = true
			break
		}
		out.Data = append(out.Data, l.render(i, ex))
		lastID = l.id(i)
	}
	out.URL = "/" + l.resource
	if r.URL.RawQuery != "" {
		out.URL += "?" + r.URL.RawQuery
	}
	// next_page_url is always set, even on the last page, so a client can
	// come back later for items that arrive after the last one it saw.
	next := url.Values{}
	for k, v := range q {
		if k != "starting_after" && !f.opts.Variant.BareNextPageURL {
			next[k] = v
		}
	}
	if lastID != "" {
		next.Set("starting_after", lastID)
	}
	out.NextPageURL = f.opts.Variant.NextPageHost + "/" + l.resource
	if enc := next.Encode(); enc != "" {
		out.NextPageURL += "?" + enc
	}
	return out, nil
}

// positions maps each id to its position in idx, cached with the order.
func (f *Fake) positions(l lister, order []string, idx []int) map[string]int {
	key := l.resource + "|" + strings.Join(order, ",")
	f.cacheMu.Lock()
	defer f.cacheMu.Unlock()
	if m, ok := f.posCache[key]; ok {
		return m
	}
	m := make(map[string]int, len(idx))
	for p, i := range idx {
		if _, dup := m[l.id(i)]; !dup {
			m[l.id(i)] = p
		}
	}
	f.posCache[key] = m
	return m
}

// sorted returns the indices of l's items in the requested order, ties
// broken by id so that walks are stable. Orders are cached until data
// changes: walking 18k sessions a page at a time must not sort per page.
func (f *Fake) sorted(l lister, order []string) []int {
	key := l.resource + "|" + strings.Join(order, ",")
	f.cacheMu.Lock()
	defer f.cacheMu.Unlock()
	if idx, ok := f.orderCache[key]; ok {
		return idx
	}
	idx := make([]int, l.n)
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool {
		ia, ib := idx[a], idx[b]
		for _, o := range order {
			desc := strings.HasPrefix(o, "-")
			get := l.order[strings.TrimPrefix(o, "-")]
			c := compare(get(ia), get(ib))
			if desc {
				c = -c
			}
			if c != 0 {
				return c < 0
			}
		}
		return l.id(ia) < l.id(ib)
	})
	f.orderCache[key] = idx
	return idx
}

// compare orders sort values; absent values (nil) come first ascending.
func compare(a, b any) int {
	switch {
	case a == nil && b == nil:
		return 0
	case a == nil:
		return -1
	case b == nil:
		return 1
	}
	switch x := a.(type) {
	case time.Time:
		return x.Compare(b.(time.Time))
	case int:
		y := b.(int)
		switch {
		case x < y:
			return -1
		case x > y:
			return 1
		}
		return 0
	case string:
		return strings.Compare(x, b.(string))
	}
	return strings.Compare(fmt.Sprint(a), fmt.Sprint(b))
}

// attrString returns a string attribute for ordering, nil when absent.
func attrString(attrs map[string]any, name string) any {
	if s, ok := attrs[name].(string); ok {
		return s
	}
	return nil
}

func oneOf(param, value string, allowed ...string) error {
	for _, a := range allowed {
		if value == a {
			return nil
		}
	}
	return badf("%s must be one of %s, got %q", param, strings.Join(allowed, ", "), value)
}
