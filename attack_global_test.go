package resilog

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/log"

	"github.com/resilog/resilog/internal/recordtest"
)

// TestWithLevelTypedNilRefused: New refuses WithLevel with a typed nil leveler with
// ErrInvalidConfig (chosen over INFO: the caller meant a LevelVar to steer the level, and
// silently ignoring it would hide that). Found by an attack: it showed that New panics when WithLevel is given a typed
// nil leveler — `var lv *slog.LevelVar; resilog.WithLevel(lv)`, a LevelVar field left
// unset in a config struct: resolveLevels hands it to Levels.SetDefault, which calls its
// Level method. DESIGN: every bad input, typed nils included, gets a clear error or a safe
// default. Correct: New returns an error wrapping ErrInvalidConfig (or treats the typed nil
// as unset), never panics.
func TestWithLevelTypedNilRefused(t *testing.T) {
	var lv *slog.LevelVar
	defer func() {
		if r := recover(); r != nil {
			t.Errorf("New(WithLevel((*slog.LevelVar)(nil))) panicked: %v", r)
		}
	}()
	p, err := New(context.Background(), envOf(nil), WithSDKExporter(new(recordtest.Exporter)), WithLevel(lv))
	if err == nil {
		_ = p.Shutdown(context.Background())
	}
	if !errors.Is(err, ErrInvalidConfig) {
		t.Errorf("New(WithLevel((*slog.LevelVar)(nil))) = %v, want ErrInvalidConfig", err)
	}
}

type globalTwiceResult struct {
	First, Second int // records each pipeline's exporter received from the library logger
}

// TestGlobalTwiceLibraryMovesToSecond: after a second WithGlobal pipeline, a library's
// logger made before the first reaches the second (WithGlobal installs one forwarding
// provider per process; chosen over documenting the limit: a reload is common). Found by
// an attack: it showed that with two pipelines installed one
// after the other with WithGlobal (a configuration reload, a restart of the logging
// stack after a failed health check), a library's logger created at package
// initialisation — `var logger = otelslog.NewLogger("example.com/lib")`, the usual way,
// before main calls New — keeps sending its records to the *first* pipeline forever:
// the OpenTelemetry global delegates loggers obtained before the first SetLoggerProvider
// once, to that first provider. After the first pipeline is shut down and the second
// installed, the library's records reach the second pipeline's exporter never, and are
// dropped by the first. WithGlobal promises the pipeline "captures everything the process
// logs". Correct: the library's records reach the pipeline installed last (resilog keeps
// one stable provider in the global and points it at the current pipeline), or the limit
// is documented and New refuses a second WithGlobal.
// It runs in a child process: the global's one-time delegation is per process.
func TestGlobalTwiceLibraryMovesToSecond(t *testing.T) {
	if os.Getenv(childEnv) == "globaltwice" {
		lib := otel.GetLoggerProvider().Logger("example.com/lib") // package init, before New
		emit := func() {
			var r log.Record
			r.SetSeverity(log.SeverityInfo)
			r.SetBody(attribute.StringValue("from the library"))
			lib.Emit(context.Background(), r)
		}
		first, second := new(recordtest.Exporter), new(recordtest.Exporter)
		p1, err := New(context.Background(), WithGlobal(), WithSDKExporter(first))
		if err != nil {
			os.Exit(2)
		}
		emit()
		_ = p1.Shutdown(context.Background())
		p2, err := New(context.Background(), WithGlobal(), WithSDKExporter(second))
		if err != nil {
			os.Exit(2)
		}
		emit()
		_ = p2.Shutdown(context.Background())
		writeResult(globalTwiceResult{First: len(first.Records()), Second: len(second.Records())})
		os.Exit(0)
	}
	var stderr strings.Builder
	er, ew, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	copied := make(chan struct{})
	go func() { _, _ = io.Copy(&stderr, er); close(copied) }()
	cmd, result := startChild(t, t.Name(), "globaltwice", closedEndpoint(t), ew, ew)
	ew.Close()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err = <-done:
	case <-time.After(20 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatal("child did not finish in 20s")
	}
	<-copied
	if err != nil {
		t.Fatalf("child: %v\n%s", err, stderr.String())
	}
	var res globalTwiceResult
	readResult(t, result, &res)
	if res.First != 1 || res.Second != 1 {
		t.Errorf("library records: first pipeline %d, second pipeline %d; want 1 each (the second record went to the first, shut-down pipeline)", res.First, res.Second)
	}
}
