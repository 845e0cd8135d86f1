package bridge

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
)

// Levels sets minimum levels by logger name, the longest matching prefix winning:
//
//	info,github.com/acme/shop=debug,github.com/acme/shop/db=warn
//
// The first entry without a name is the default. A prefix matches a name equal to it or
// continuing after a '/' or '.', so github.com/acme/shop covers github.com/acme/shop/db
// but not github.com/acme/shopping. Levels change at run time with Set (or over HTTP,
// see ServeHTTP) without restarting; loggers see the change on their next call. Levels is
// safe for concurrent use.
type Levels struct {
	mu    sync.Mutex
	table atomic.Pointer[levelTable]
}

type levelTable struct {
	spec     string
	def      slog.Level
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
	var parts []string
	for _, p := range strings.Split(spec, ",") {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		parts = append(parts, p)
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
			t.def = level
			continue
		}
		t.prefixes = append(t.prefixes, levelPrefix{name, level})
	}
	sort.SliceStable(t.prefixes, func(i, j int) bool { return len(t.prefixes[i].prefix) > len(t.prefixes[j].prefix) })
	t.spec = strings.Join(parts, ",")
	l.mu.Lock()
	defer l.mu.Unlock()
	if old := l.table.Load(); old != nil {
		t.gen = old.gen + 1
	}
	l.table.Store(t)
	return nil
}

// String returns the current spec.
func (l *Levels) String() string {
	if t := l.table.Load(); t != nil {
		return t.spec
	}
	return ""
}

// Level returns the level for the logger name.
func (l *Levels) Level(name string) slog.Level {
	t := l.table.Load()
	if t == nil {
		return slog.LevelInfo
	}
	return t.resolve(name)
}

func (t *levelTable) resolve(name string) slog.Level {
	for _, p := range t.prefixes {
		if strings.HasPrefix(name, p.prefix) && (len(name) == len(p.prefix) || name[len(p.prefix)] == '/' || name[len(p.prefix)] == '.') {
			return p.level
		}
	}
	return t.def
}

// For returns a slog.Leveler for one logger name. It resolves the name once per change
// of the levels, so that a disabled call costs two atomic loads.
func (l *Levels) For(name string) slog.Leveler {
	return &namedLevel{levels: l, name: name}
}

type namedLevel struct {
	levels *Levels
	name   string
	// cached packs the generation the level was resolved for (+1, so that zero means "not
	// resolved", in the high 32 bits) with the level (low 32 bits), so that both are read
	// and written in one atomic operation.
	cached atomic.Uint64
}

func (n *namedLevel) Level() slog.Level {
	t := n.levels.table.Load()
	if t == nil {
		return slog.LevelInfo
	}
	gen := uint32(t.gen + 1)
	if c := n.cached.Load(); uint32(c>>32) == gen {
		return slog.Level(int32(uint32(c)))
	}
	lvl := t.resolve(n.name)
	n.cached.Store(uint64(gen)<<32 | uint64(uint32(int32(lvl))))
	return lvl
}

// ServeHTTP shows the levels (GET) and replaces them (PUT or POST with the spec as the
// body, at most 64 KiB). Mount it behind your own authentication.
func (l *Levels) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = io.WriteString(w, l.String()+"\n")
	case http.MethodPut, http.MethodPost:
		body, err := io.ReadAll(io.LimitReader(r.Body, 64<<10))
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
