package bridge_test

import (
	"context"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/resilog/resilog/bridge"
)

func TestLevelResolution(t *testing.T) {
	l, err := bridge.ParseLevels("info, github.com/acme/shop=debug ,github.com/acme/shop/db=warn,payments.gateway=error")
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string]slog.Level{
		"":                              slog.LevelInfo,
		"main":                          slog.LevelInfo,
		"github.com/acme/shop":          slog.LevelDebug,
		"github.com/acme/shop/orders":   slog.LevelDebug,
		"github.com/acme/shop/db":       slog.LevelWarn,
		"github.com/acme/shop/db/pool":  slog.LevelWarn,
		"github.com/acme/shop/dbx":      slog.LevelDebug, // a prefix ends at a boundary
		"github.com/acme/shopping":      slog.LevelInfo,
		"github.com/acme/sho":           slog.LevelInfo,
		"payments.gateway.stripe":       slog.LevelError,
		"payments.gatewayx":             slog.LevelInfo,
		"github.com/acme/shop/db.retry": slog.LevelWarn,
	}
	for name, want := range cases {
		if got := l.Level(name); got != want {
			t.Errorf("Level(%q) = %v, want %v", name, got, want)
		}
		if got := l.For(name).Level(); got != want {
			t.Errorf("For(%q).Level() = %v, want %v", name, got, want)
		}
	}
	if l.String() != "info,github.com/acme/shop=debug,github.com/acme/shop/db=warn,payments.gateway=error" {
		t.Errorf("String() = %q", l.String())
	}
	for _, bad := range []string{"loud", "x=", "a=b=c", "github.com/x=verbose"} {
		if err := l.Set(bad); err == nil {
			t.Errorf("Set(%q) accepted", bad)
		}
	}
	if l.Level("github.com/acme/shop/db") != slog.LevelWarn {
		t.Error("a rejected spec changed the levels")
	}
}

func TestLevelsSetDefault(t *testing.T) {
	l, err := bridge.ParseLevels("debug,github.com/acme/db=error")
	if err != nil {
		t.Fatal(err)
	}
	var lv slog.LevelVar
	lv.Set(slog.LevelWarn)
	l.SetDefault(&lv) // replaces the spec's own default, keeps its prefixes
	app, db := l.For("app"), l.For("github.com/acme/db")
	check := func(when string, wantApp, wantDB slog.Level, wantSpec string) {
		t.Helper()
		if app.Level() != wantApp || l.Level("app") != wantApp || db.Level() != wantDB {
			t.Errorf("%s: app %v (Level %v), db %v; want %v, %v", when, app.Level(), l.Level("app"), db.Level(), wantApp, wantDB)
		}
		if l.String() != wantSpec {
			t.Errorf("%s: String() = %q, want %q", when, l.String(), wantSpec)
		}
	}
	check("after SetDefault", slog.LevelWarn, slog.LevelError, "warn,github.com/acme/db=error")
	lv.Set(slog.LevelDebug)
	check("after the LevelVar changed", slog.LevelDebug, slog.LevelError, "debug,github.com/acme/db=error")
	if err := l.Set("github.com/acme/db=info"); err != nil {
		t.Fatal(err)
	}
	check("after a spec without a default", slog.LevelDebug, slog.LevelInfo, "debug,github.com/acme/db=info")
	if err := l.Set("error"); err != nil {
		t.Fatal(err)
	}
	lv.Set(slog.LevelInfo)
	check("after a spec with a default", slog.LevelError, slog.LevelError, "error")
	l.SetDefault(slog.LevelWarn)
	check("after SetDefault(LevelWarn)", slog.LevelWarn, slog.LevelWarn, "warn")

	// Every level is a level, the extremes included (replay uses the lowest to filter nothing).
	lowest, highest := slog.Level(math.MinInt32), slog.Level(math.MaxInt32)
	l.SetDefault(lowest)
	if err := l.Set("github.com/acme/db=" + highest.String()); err != nil {
		t.Fatal(err)
	}
	if app.Level() != lowest || db.Level() != highest || l.Level("app") != lowest {
		t.Errorf("extremes: app %v, db %v", app.Level(), db.Level())
	}
	lv.Set(lowest)
	l.SetDefault(&lv)
	if app.Level() != lowest {
		t.Errorf("extremes through a LevelVar: app %v", app.Level())
	}

	var zero bridge.Levels
	zero.SetDefault(slog.LevelError)
	if zero.Level("app") != slog.LevelError || zero.For("app").Level() != slog.LevelError {
		t.Errorf("SetDefault on a zero Levels: %v", zero.Level("app"))
	}
}

func TestLevelsChangeWhileLogging(t *testing.T) {
	exp, lp := newPipeline(t)
	levels, _ := bridge.ParseLevels("error")
	log := slog.New(bridge.NewHandler("github.com/acme/shop/orders", bridge.WithLoggerProvider(lp), bridge.WithLevel(levels.For("github.com/acme/shop/orders"))))
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 500 {
				log.Debug("d")
				log.Error("e")
			}
		}()
	}
	for i := range 100 {
		spec := "error"
		if i%2 == 0 {
			spec = "error,github.com/acme=debug"
		}
		if err := levels.Set(spec); err != nil {
			t.Fatal(err)
		}
	}
	wg.Wait()
	if err := levels.Set("warn,github.com/acme/shop=debug"); err != nil {
		t.Fatal(err)
	}
	exp.Reset()
	log.Debug("after the change")
	if n := len(exp.Records()); n != 1 {
		t.Fatalf("%d records after enabling debug, want 1", n)
	}
}

func TestLevelsHTTP(t *testing.T) {
	l, _ := bridge.ParseLevels("info")
	srv := httptest.NewServer(l)
	defer srv.Close()
	resp, err := http.Post(srv.URL, "text/plain", strings.NewReader("warn,github.com/acme=debug"))
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("POST: %v %v", resp.StatusCode, err)
	}
	if l.Level("github.com/acme/x") != slog.LevelDebug {
		t.Error("POST did not change the levels")
	}
	resp, _ = http.Post(srv.URL, "text/plain", strings.NewReader("nonsense=loud"))
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("a bad spec answered %d", resp.StatusCode)
	}
	resp, _ = http.Get(srv.URL)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(body) != "warn,github.com/acme=debug\n" {
		t.Errorf("GET = %q", body)
	}
}

// BenchmarkDisabled is the cost of a call below the logger's level: rejected in Enabled,
// before any conversion.
func BenchmarkDisabled(b *testing.B) {
	_, lp := newPipeline(b)
	levels, _ := bridge.ParseLevels("info,github.com/acme/shop/db=warn")
	log := slog.New(bridge.NewHandler("github.com/acme/shop/db", bridge.WithLoggerProvider(lp), bridge.WithLevel(levels.For("github.com/acme/shop/db"))))
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		log.DebugContext(ctx, "query", "sql", "SELECT 1", "rows", 1, "ms", 0.4, "cached", true, "table", "orders")
	}
}
