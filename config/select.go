package config

import (
	"fmt"
	"slices"
	"strings"

	"github.com/adoptionlabs/etl/engine"
	"github.com/adoptionlabs/etl/extract"
)

// Selection is what a command runs.
type Selection struct {
	Streams []*engine.Stream
	// Skipped are the selected sources that do not run: disabled, or
	// without their credentials.
	Skipped []Skipped
}

// Skipped is a selected source that does not run.
type Skipped struct {
	Source string
	// Streams are the source's streams the command asked for.
	Streams []string
	// Disabled is `enabled: false`: not running is what the config means.
	Disabled bool
	// Missing names the unset variables of a source that cannot run.
	Missing []string
	// Config is the path of the config file, for the line that says why.
	Config string
}

// Status is the source's status in the run report: "disabled", or
// "skipped: USERFLOW_API_KEY unset".
func (s Skipped) Status() string {
	if s.Disabled {
		return "disabled"
	}
	return "skipped: " + strings.Join(s.Missing, ", ") + " unset"
}

// Line says why the source does not run and, for one that cannot, what to
// change.
func (s Skipped) Line() string {
	if s.Disabled {
		return fmt.Sprintf("%s: disabled in %s", s.Source, s.Config)
	}
	it := "it"
	if len(s.Missing) > 1 {
		it = "them"
	}
	return fmt.Sprintf("%s: %s: set %s, or leave the source out with --source or `enabled: false` under sources.%s in %s",
		s.Source, s.Status(), it, s.Source, s.Config)
}

// CannotRun lists the skipped sources that are not disabled: a source
// configured to run that could not.
func (sel *Selection) CannotRun() []Skipped {
	var out []Skipped
	for _, s := range sel.Skipped {
		if !s.Disabled {
			out = append(out, s)
		}
	}
	return out
}

// Select opens the enabled sources with env and keeps the requested
// streams (by NAME or SOURCE.NAME). Unknown names are configuration errors;
// sources without credentials are Skipped when requireCreds (whether that
// fails the command is the command's call).
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
		names := make([]string, len(picked))
		for i, st := range picked {
			names[i] = st.Name
		}
		if !src.Enabled && len(wantSrc) == 0 {
			sel.Skipped = append(sel.Skipped, Skipped{Source: src.Name, Streams: names, Disabled: true, Config: cfg.Path})
			continue
		}
		if missing := cfg.UnsetVars(src); requireCreds && len(missing) > 0 {
			sel.Skipped = append(sel.Skipped, Skipped{Source: src.Name, Streams: names, Missing: missing, Config: cfg.Path})
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

// UnsetVars names the unset variables of a source: the ones its block of the
// config reads where a required setting is blank (a block may read
// ${MY_KEY} instead of the variable the source's sample names).
func (cfg *Config) UnsetVars(src *Source) []string {
	var out []string
	for _, name := range src.Config.Missing() {
		vars := []string{name}
		for _, v := range src.Plugin.Env {
			if refs := cfg.refs["sources."+src.Name+"."+v.Setting]; v.Name == name && len(refs) > 0 {
				vars = refs
			}
		}
		for _, v := range vars {
			if !slices.Contains(out, v) {
				out = append(out, v)
			}
		}
	}
	return out
}

func selectError(format string, args ...any) error {
	return &Error{Msg: fmt.Sprintf(format, args...)}
}
