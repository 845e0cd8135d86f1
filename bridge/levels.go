package bridge

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"reflect"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
)

// Levels sets minimum levels by logger name, the longest matching prefix winning:
//
//	info,github.com/acme/shop=debug,github.com/acme/shop/db=warn
//
// The first entry without a name is the default: the level of the names no prefix
// matches. A spec without one leaves the default to SetDefault's leveler (INFO unless
// set). A prefix matches a name equal to it or continuing after a '/' or '.', so
// github.com/acme/shop covers github.com/acme/shop/db but not github.com/acme/shopping; a
// prefix ending in the separator (github.com/acme/) covers every name under it. A name
// given twice takes its last entry, as the default does when given twice, so that an
// override appended to a spec wins.
// Levels change at run time with Set (or over HTTP, see ServeHTTP) without restarting;
// loggers see the change on their next call. Levels is safe for concurrent use.
type Levels struct {
	mu    sync.Mutex   // serialises Set and SetDefault
	base  slog.Leveler // SetDefault's leveler; nil means INFO
	table atomic.Pointer[levelTable]
}

type levelTable struct {
	entries  []string // the spec's prefix entries, normalised, in their order
	def      slog.Level
	defText  string        // the spec's default entry, "" when it has none
	dynamic  slog.Leveler  // when the spec has no default: SetDefault's leveler, unless a fixed level
	baseDef  bool          // the default is SetDefault's
	prefixes []levelPrefix // longest first
	gen      uint64
}

type levelPrefix struct {
	prefix string
	level  slog.Level
}

// ParseLevels returns Levels set to spec ("" means info for everything).
func ParseLevels(spec string) (*Levels, error) {
	l := new(Levels)
	if err := l.Set(spec); err != nil {
		return nil, err
	}
	return l, nil
}

// Set replaces the levels with spec. A bad spec changes nothing and returns an error.
func (l *Levels) Set(spec string) error {
	t := &levelTable{def: slog.LevelInfo}
	for _, p := range strings.Split(spec, ",") {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		name, lvl, hasName := strings.Cut(p, "=")
		if !hasName {
			lvl, name = name, ""
		}
		var level slog.Level
		if err := level.UnmarshalText([]byte(strings.TrimSpace(lvl))); err != nil {
			return fmt.Errorf("bridge: level %q in %q: %w", lvl, p, err)
		}
		name = strings.TrimSpace(name)
		if name == "" {
			t.def, t.defText = level, p
			continue
		}
		// The later entry of a name wins, in place: the default's rule too.
		if i := slices.IndexFunc(t.prefixes, func(e levelPrefix) bool { return e.prefix == name }); i >= 0 {
			t.entries[i], t.prefixes[i] = p, levelPrefix{name, level}
			continue
		}
		t.entries = append(t.entries, p)
		t.prefixes = append(t.prefixes, levelPrefix{name, level})
	}
	sort.SliceStable(t.prefixes, func(i, j int) bool { return len(t.prefixes[i].prefix) > len(t.prefixes[j].prefix) })
	l.mu.Lock()
	defer l.mu.Unlock()
	l.store(t)
	return nil
}

// SetDefault makes def the level of the names no prefix matches, replacing the default
// entry of the current spec, and of any later spec that has none (a later spec's own
// default entry wins over def). A *slog.LevelVar changes it at run time. A nil def, or a
// nil pointer (an unset *slog.LevelVar), means INFO.
func (l *Levels) SetDefault(def slog.Leveler) {
	if isNil(def) {
		def = nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.base = def
	var t levelTable
	if old := l.table.Load(); old != nil {
		t = *old
	}
	t.defText = ""
	l.store(&t)
}

// isNil reports whether lv is nil or a nil pointer, map, func, … in an interface: a
// leveler whose Level method would panic.
func isNil(lv slog.Leveler) bool {
	if lv == nil {
		return true
	}
	switch v := reflect.ValueOf(lv); v.Kind() {
	case reflect.Pointer, reflect.Map, reflect.Func, reflect.Interface, reflect.Slice, reflect.Chan:
		return v.IsNil()
	}
	return false
}

// store publishes t with the next generation, the default taken from the base leveler
// when t's spec has none. l.mu must be held.
func (l *Levels) store(t *levelTable) {
	t.dynamic, t.baseDef = nil, false
	if t.defText == "" {
		t.def, t.baseDef = slog.LevelInfo, l.base != nil
		switch base := l.base.(type) {
		case nil:
		case slog.Level:
			t.def = base // fixed: no leveler to ask at each call
		default:
			t.def, t.dynamic = base.Level(), base
		}
	}
	if old := l.table.Load(); old != nil {
		t.gen = old.gen + 1
	}
	l.table.Store(t)
}

// String returns the current spec; a default set with SetDefault is shown at its current
// level.
func (l *Levels) String() string {
	t := l.table.Load()
	if t == nil {
		return ""
	}
	def := t.defText
	switch {
	case t.dynamic != nil:
		def = strings.ToLower(t.dynamic.Level().String())
	case t.baseDef:
		def = strings.ToLower(t.def.String())
	}
	if def == "" {
		return strings.Join(t.entries, ",")
	}
	return strings.Join(append([]string{def}, t.entries...), ",")
}

// Level returns the level for the logger name.
func (l *Levels) Level(name string) slog.Level {
	t := l.table.Load()
	if t == nil {
		return slog.LevelInfo
	}
	lvl, dynamic := t.resolve(name)
	if dynamic {
		return t.dynamic.Level()
	}
	return lvl
}

// resolve returns the level for name, or dynamic when the name takes the default and the
// default is a leveler to ask at each call.
func (t *levelTable) resolve(name string) (level slog.Level, dynamic bool) {
	for _, p := range t.prefixes {
		if strings.HasPrefix(name, p.prefix) && (len(name) == len(p.prefix) || separator(name[len(p.prefix)]) || separator(p.prefix[len(p.prefix)-1])) {
			return p.level, false
		}
	}
	return t.def, t.dynamic != nil
}

func separator(c byte) bool { return c == '/' || c == '.' }

// For returns a slog.Leveler for one logger name. It resolves the name once per change
// of the levels, so that a disabled call costs two atomic loads (plus the default
// leveler's, when SetDefault set one and no prefix matches the name).
func (l *Levels) For(name string) slog.Leveler {
	return &namedLevel{levels: l, name: name}
}

type namedLevel struct {
	levels *Levels
	name   string
	// cached packs the generation the level was resolved for (+1, so that zero means "not
	// resolved"; 30 bits), a bit set when the name takes a dynamic default (then asked at
	// each call), a bit set when the level does not fit in 32 bits (then resolved at each
	// call: slog.Level is an int, and a spec may say ERROR+4294967288), and the level (low
	// 32 bits), so that all are read and written in one atomic operation. Every level is
	// representable: no level value is a marker.
	cached atomic.Uint64
}

const (
	dynamicBit = 1 << 32
	wideBit    = 1 << 33
	genShift   = 34
)

func (n *namedLevel) Level() slog.Level {
	t := n.levels.table.Load()
	if t == nil {
		return slog.LevelInfo
	}
	gen := uint32(t.gen%(1<<30-1)) + 1 // 1 to 2³⁰-1: never the zero of "not resolved"
	c := n.cached.Load()
	if uint32(c>>genShift) != gen {
		lvl, dynamic := t.resolve(n.name)
		c = uint64(gen)<<genShift | uint64(uint32(int32(lvl)))
		if dynamic {
			c |= dynamicBit
		}
		if slog.Level(int32(lvl)) != lvl {
			c |= wideBit
		}
		n.cached.Store(c)
	}
	switch {
	case c&dynamicBit != 0:
		return t.dynamic.Level()
	case c&wideBit != 0:
		lvl, _ := t.resolve(n.name)
		return lvl
	}
	return slog.Level(int32(uint32(c)))
}

// maxSpec is the largest spec ServeHTTP accepts.
const maxSpec = 64 << 10

// ServeHTTP shows the levels (GET) and replaces them (PUT or POST with the spec as the
// body, at most 64 KiB: a longer body is refused with 413 and changes nothing). Mount it
// behind your own authentication.
func (l *Levels) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = io.WriteString(w, l.String()+"\n")
	case http.MethodPut, http.MethodPost:
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxSpec))
		if tooLarge := (*http.MaxBytesError)(nil); errors.As(err, &tooLarge) {
			http.Error(w, fmt.Sprintf("a level spec is at most %d bytes: nothing changed", maxSpec), http.StatusRequestEntityTooLarge)
			return
		}
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		if err := l.Set(string(body)); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		_, _ = io.WriteString(w, l.String()+"\n")
	default:
		w.Header().Set("Allow", "GET, PUT, POST")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
	}
}
