package bridge_test

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/resilog/resilog/bridge"
)

// TestLevelsCacheHoldsEveryLevel: the cache holds every level (levels past 32 bits are
// resolved at each call). Found by an attack: it showed that the per-name cache behind Levels.For
// (what every gated logger of New's provider and every Pipeline.Logger asks) packs the
// level into 32 bits, while slog.Level is an int and Set accepts any int offset: a spec
// that sets a logger far above ERROR ("mute this library": noisy=ERROR+2147483640, as
// written by a script or typed by an operator) comes back from the cache as -2147483648,
// the most verbose level there is, so the muted logger logs everything, DEBUG included.
// Levels.Level and Levels.String show the level as set; For disagrees with them.
// Correct: For(name).Level() == Level(name) for every level Set accepts (or Set refuses
// levels the cache cannot hold).
func TestLevelsCacheHoldsEveryLevel(t *testing.T) {
	for _, lvl := range []string{"ERROR+2147483640", "ERROR+4294967288", "DEBUG-2147483645"} {
		l, err := bridge.ParseLevels("info,github.com/acme/noisy=" + lvl)
		if err != nil {
			continue // refusing the level is a correct outcome
		}
		want := l.Level("github.com/acme/noisy")
		if got := l.For("github.com/acme/noisy").Level(); got != want {
			t.Errorf("noisy=%s: For(name).Level() = %d, Level(name) = %d", lvl, got, want)
		}
	}
}

// TestLevelsHTTPRefusesOversizedSpec: a body over 64 KiB is refused with 413, nothing
// applied. Found by an attack: it showed that ServeHTTP reads at most 64 KiB of
// a PUT/POST body and applies what it read: a longer spec is cut, and when the cut falls
// on an entry boundary the truncated spec parses, is applied, and the handler answers
// 200 — the entries past 64 KiB are silently lost (here the entry that raises
// github.com/acme to ERROR). Set's own promise is that a bad spec changes nothing.
// Correct: a body over the limit is refused (413 or 400) and the levels are unchanged.
func TestLevelsHTTPRefusesOversizedSpec(t *testing.T) {
	l, err := bridge.ParseLevels("info")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(l)
	defer srv.Close()
	var b strings.Builder
	for i := 0; b.Len() < 64<<10; i++ {
		b.WriteString("example.com/lib" + strconv.Itoa(i) + "=info,")
	}
	spec := b.String()[:64<<10]
	spec = spec[:strings.LastIndex(spec, ",")+1]
	spec += strings.Repeat(" ", 64<<10-len(spec)) // the cut falls exactly here
	spec += "github.com/acme=error"
	resp, err := http.Post(srv.URL, "text/plain", strings.NewReader(spec))
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode/100 == 2 && l.Level("github.com/acme") != slog.LevelError {
		t.Errorf("a %d-byte spec answered %d and github.com/acme is at %v, not the spec's ERROR: the spec was cut at 64 KiB and applied",
			len(spec), resp.StatusCode, l.Level("github.com/acme"))
	}
}

// TestLevelsSeparatorEndedPrefixCoversNamesUnder: "github.com/acme/=debug" covers the
// names under github.com/acme/ (chosen over refusing: it is how operators write "all of
// acme", and the doc's rule reads so). Found by an attack: it showed that an entry whose name ends
// in the separator ("github.com/acme/=debug", "com.acme.=debug": how an operator writes
// "everything under acme") is accepted and then matches no logger: the rule requires a
// '/' or '.' *after* the prefix, so "github.com/acme/" + "shop" never qualifies, and only a
// logger literally named "github.com/acme/" would. The spec is silently dead. The doc says
// a prefix matches a name "continuing after a '/' or '.'", which these names do.
// Correct: such an entry covers the names under it (or Set refuses it with an error).
func TestLevelsSeparatorEndedPrefixCoversNamesUnder(t *testing.T) {
	for _, c := range []struct{ spec, name string }{
		{"warn,github.com/acme/=debug", "github.com/acme/shop"},
		{"warn,com.acme.=debug", "com.acme.shop"},
	} {
		l, err := bridge.ParseLevels(c.spec)
		if err != nil {
			t.Fatalf("spec %q: %v", c.spec, err)
		}
		if got := l.Level(c.name); got != slog.LevelDebug {
			t.Errorf("spec %q accepted, but %s is at %v, not DEBUG", c.spec, c.name, got)
		}
	}
}

// TestLevelsDuplicateEntryLastWins: a name given twice takes its last entry, like the
// default (chosen over refusing: appended overrides are how specs get layered). Found by
// an attack: it showed that a spec naming the same
// logger twice keeps the *first* entry ("x=debug,x=error" leaves x at DEBUG), while a
// spec with two default entries keeps the *last* ("debug,error" is ERROR): appending an
// override to RESILOG_LOG_LEVELS (RESILOG_LOG_LEVELS="$RESILOG_LOG_LEVELS,x=error", the way
// overrides are layered in shells and deployment templates) works for the default and is
// silently ignored for a name. Correct: one rule for both (the later entry wins), or a
// duplicate name is refused, as the exporter list refuses a name listed twice.
func TestLevelsDuplicateEntryLastWins(t *testing.T) {
	l, err := bridge.ParseLevels("debug,error")
	if err != nil {
		t.Fatal(err)
	}
	if l.Level("other") != slog.LevelError {
		t.Errorf("\"debug,error\": the default is %v, not the last entry's ERROR", l.Level("other"))
	}
	l, err = bridge.ParseLevels("info,github.com/acme/x=debug,github.com/acme/x=error")
	if err != nil {
		t.Fatal(err)
	}
	if got := l.Level("github.com/acme/x"); got != slog.LevelError {
		t.Errorf("\"x=debug,x=error\" accepted, x is at %v; a duplicated default is last-wins (ERROR)", got)
	}
	if got, want := l.String(), "info,github.com/acme/x=error"; got != want {
		t.Errorf("String() = %q, want %q: the overridden entry is gone", got, want)
	}
}

// TestLevelsTypedNilDefaultIsInfo: SetDefault treats a typed nil leveler as nil (INFO).
// Found by an attack: it showed that SetDefault with a typed nil leveler
// ((*slog.LevelVar)(nil), an unset field of a config struct) panics, and that the panic
// leaves the typed nil recorded as the base: every later Set — a fix typed by the
// operator, a PUT on the HTTP handler — whose spec has no default entry of its own panics
// too (store asks the base for its level), until the process restarts. Correct:
// SetDefault refuses or ignores a typed nil leveler, and Set keeps working whatever
// SetDefault was given.
func TestLevelsTypedNilDefaultIsInfo(t *testing.T) {
	l, err := bridge.ParseLevels("info")
	if err != nil {
		t.Fatal(err)
	}
	func() {
		defer func() { _ = recover() }()
		var lv *slog.LevelVar
		l.SetDefault(lv)
	}()
	var setErr error
	panicked := func() (p any) {
		defer func() { p = recover() }()
		setErr = l.Set("github.com/acme=warn") // no default entry of its own: the base is asked
		return nil
	}()
	if panicked != nil {
		t.Fatalf("Set after SetDefault((*slog.LevelVar)(nil)) panicked: %v", panicked)
	}
	if setErr != nil || l.Level("github.com/acme") != slog.LevelWarn {
		t.Errorf("Set after SetDefault((*slog.LevelVar)(nil)): err %v, github.com/acme at %v", setErr, l.Level("github.com/acme"))
	}
}
