package config

import (
	"fmt"
	"strings"

	"github.com/adoptionlabs/etl/engine"
	"github.com/adoptionlabs/etl/extract"
)

// Selection is what a command runs.
type Selection struct {
	Streams []*engine.Stream
	// Skipped says, one line per source, why a configured source does not
	// run (disabled, credentials not set).
	Skipped []string
}

// Select opens the enabled sources with env and keeps the requested
// streams (by NAME or SOURCE.NAME). Unknown names are configuration errors;
// sources without credentials are skipped with one line each when
// requireCreds.
func (cfg *Config) Select(env extract.Env, sources, streams []string, requireCreds bool) (*Selection, error) {
	wantSrc := map[string]bool{}
	for _, s := range sources {
		if cfg.Source(s) == nil {
			if _, ok := extract.Lookup(s); ok {
				return nil, selectError("--source %s: not configured in %s (add a sources.%s block)", s, cfg.Path, s)
			}
			return nil, selectError("--source %s: unknown source (known: %s)", s, strings.Join(extract.Names(), ", "))
		}
		wantSrc[s] = true
	}
	wantStream := map[string]bool{}
	for _, s := range streams {
		wantStream[s] = false
	}
	sel := &Selection{}
	for _, src := range cfg.Sources {
		if len(wantSrc) > 0 && !wantSrc[src.Name] {
			continue
		}
		declared, err := src.Config.Open(env)
		if err != nil {
			return nil, selectError("sources.%s: %v", src.Name, err)
		}
		var picked []*engine.Stream
		for _, st := range declared {
			if err := st.Validate(); err != nil {
				return nil, selectError("source %s declares an invalid stream: %v", src.Name, err)
			}
			if len(wantStream) > 0 {
				_, byName := wantStream[st.Name]
				_, byID := wantStream[st.ID()]
				if !byName && !byID {
					continue
				}
				if byName {
					wantStream[st.Name] = true
				}
				if byID {
					wantStream[st.ID()] = true
				}
			}
			picked = append(picked, st)
		}
		if len(picked) == 0 {
			continue
		}
		if !src.Enabled && len(wantSrc) == 0 {
			sel.Skipped = append(sel.Skipped, fmt.Sprintf("%s: disabled in %s", src.Name, cfg.Path))
			continue
		}
		if missing := src.Config.Missing(); requireCreds && len(missing) > 0 {
			sel.Skipped = append(sel.Skipped, fmt.Sprintf("%s: skipped, credentials not set (%s)", src.Name, strings.Join(missing, ", ")))
			continue
		}
		sel.Streams = append(sel.Streams, picked...)
	}
	for name, found := range wantStream {
		if !found {
			return nil, selectError("--stream %s: no such stream in the selected sources (see `etl streams`)", name)
		}
	}
	return sel, nil
}

func selectError(format string, args ...any) error {
	return &Error{Msg: fmt.Sprintf(format, args...)}
}
