package pipeline

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/adoptionlabs/etl/load"
	"github.com/adoptionlabs/etl/state"
)

// LegacyStateDir is where file state lived, for every destination at once,
// before each destination kept its own: the first command that opens a
// destination's state carries what it finds there over (carryOver).
const LegacyStateDir = "./.etl-state"

// StatePlace is where a destination's progress (watermarks, backfill
// plans, the run lock) is kept. Progress belongs to its destination, so
// loading somewhere else never moves it.
type StatePlace struct {
	// Destination is the sink kind and where it writes
	// (load.Config.Destination).
	Destination string
	// Dir is the file state's directory; empty when the sink keeps the
	// state in the destination itself (ClickHouse's tables).
	Dir string
	// Where says it for a person: the directory, or the sink's own store.
	Where string

	// open opens the destination's own store; nil for file state.
	open func(ctx context.Context, env load.Env) (state.Store, error)
}

// StatePlace says where the configured destination's state is kept.
// state.location auto keeps it in the destination's own store when it has
// one (load.StateHome.Open), in files otherwise: by default beside the
// data (load.StateHome.Dir), or under state.dir / ETL_STATE_DIR in a
// directory of the destination's own, so that two destinations never
// share watermarks whatever the settings.
func (p *Pipeline) StatePlace() (StatePlace, error) {
	k, sc, err := p.ConfiguredSink()
	if err != nil {
		return StatePlace{}, err
	}
	dest, err := sc.Destination()
	if err != nil {
		return StatePlace{}, usage("%v", err)
	}
	var home load.StateHome
	if keeper, ok := sc.(load.StateKeeper); ok {
		if home, err = keeper.StateHome(); err != nil {
			return StatePlace{}, usage("%v", err)
		}
	}
	sp := StatePlace{Destination: dest}
	switch loc := p.Config.State.Location; {
	case loc == "auto" && home.Open != nil, loc == k.Name && home.Open != nil:
		sp.open, sp.Where = home.Open, "the destination itself"
		if home.Where != "" {
			sp.Where += ", " + home.Where
		}
		return sp, nil
	case loc == k.Name:
		return StatePlace{}, usage("state.location %s: %s keeps no state store of its own: set state.location auto or file", loc, sc.Place())
	case loc == "file" && home.Open != nil && home.Only:
		return StatePlace{}, usage("state.location file: %s keeps its state in %s, beside the data, and only there: its run lock keeps runs on other hosts from writing there at once; set state.location auto", sc.Place(), home.Where)
	case loc != "auto" && loc != "file":
		return StatePlace{}, usage("state.location %s needs the %s sink", loc, loc)
	}
	switch {
	case p.Config.State.Dir != "":
		sp.Dir = filepath.Join(p.Config.State.Dir, state.DirName(dest))
	case home.Dir != "":
		sp.Dir = home.Dir
	default:
		sp.Dir = filepath.Join(LegacyStateDir, state.DirName(dest))
	}
	sp.Where = sp.Dir
	return sp, nil
}

// OpenState opens the configured destination's state store, without
// opening the data sink: a Parquet directory a run is writing stays
// untouched, and a ClickHouse store has its own connection. File state
// left in the flat layout of earlier releases is carried over first.
func (p *Pipeline) OpenState(ctx context.Context) (state.Store, error) {
	sp, err := p.StatePlace()
	if err != nil {
		return nil, err
	}
	if sp.open != nil {
		st, err := sp.open(ctx, p.env())
		if err != nil {
			return nil, fmt.Errorf("open state in %s: %w", p.Config.Sink.Type, err)
		}
		return st, nil
	}
	st, err := state.OpenFile(sp.Dir)
	if err != nil {
		return nil, fmt.Errorf("open state in %s: %w", sp.Dir, err)
	}
	if err := p.carryOver(ctx, st, sp); err != nil {
		p.CloseState(st)
		return nil, err
	}
	return st, nil
}

// carryOver moves into st what the flat state directory of earlier
// releases (state.dir itself, else ./.etl-state) holds for this
// destination, once, with one line saying from where to where. The
// watermarks go to the first destination that opens its state; a later
// one starting without any is told where they went.
func (p *Pipeline) carryOver(ctx context.Context, st *state.FileStore, sp StatePlace) error {
	old := p.Config.State.Dir
	if old == "" {
		old = LegacyStateDir
	}
	note := filepath.Join(old, "MOVED.txt")
	var carried state.Carried
	if state.HasFlatState(old) {
		pending, err := st.CarryPending(old, sp.Destination)
		if err != nil {
			return fmt.Errorf("carry the state of %s over to %s: %w", old, sp.Dir, err)
		}
		if pending {
			if carried, err = p.carry(ctx, st, sp, old); err != nil {
				return fmt.Errorf("carry the state of %s over to %s: %w", old, sp.Dir, err)
			}
		}
	}
	if !carried.Empty() {
		p.Log.Warn(fmt.Sprintf("carried the state of %s over from %s to %s (%s): each destination keeps its own state now; %s says what moved", sp.Destination, old, sp.Dir, carried, note))
		return nil
	}
	if state.CarriedElsewhere(old) {
		if entries, err := st.List(ctx); err == nil && len(entries) == 0 {
			p.Log.Warn(fmt.Sprintf("no watermark in %s yet: the watermarks %s held for every destination were carried over to another one (see %s); if they belong here, copy that state.json into %s", sp.Dir, old, note, sp.Dir))
		}
	}
	return nil
}

// carry runs CarryOver under the flat directory's run lock: an older etl
// still running there writes its watermarks until it ends, and is waited
// for as any run is.
func (p *Pipeline) carry(ctx context.Context, st *state.FileStore, sp StatePlace, old string) (state.Carried, error) {
	prev, err := state.OpenFile(old)
	if err != nil {
		return state.Carried{}, err
	}
	defer p.CloseState(prev)
	lock, err := p.Lock(ctx, prev, "etl: carrying state over to "+sp.Dir)
	if err != nil {
		return state.Carried{}, err
	}
	defer p.release(lock)
	return st.CarryOver(prev, sp.Destination)
}
