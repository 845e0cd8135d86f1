package processor

import (
	"context"
	"errors"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/log"
	sdklog "go.opentelemetry.io/otel/sdk/log"

	"github.com/resilog/resilog/internal/recordtest"
)

func msgRec(msg string, sev log.Severity) *sdklog.Record {
	r := recordtest.Make("t", func(r *log.Record) { r.SetBody(attribute.StringValue(msg)); r.SetSeverity(sev) })
	return &r
}

func TestSamplingKeepsFirstThenOneInM(t *testing.T) {
	exp := new(recordtest.Exporter)
	b := newBatch(t, exp, nil, BatchConfig{})
	sample, err := NewSample(b, Sampling{First: 3, Thereafter: 10, Interval: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	for range 53 {
		_ = sample.OnEmit(context.Background(), msgRec("cache miss", log.SeverityInfo))
	}
	for range 5 {
		_ = sample.OnEmit(context.Background(), msgRec("other message", log.SeverityInfo))
		_ = sample.OnEmit(context.Background(), msgRec("cache miss", log.SeverityError)) // never sampled
	}
	_ = sample.Shutdown(context.Background())
	// cache miss: 3 first + one in 10 of the next 50 = 8; other: 3; errors: 5.
	if n := len(exp.Records()); n != 16 {
		t.Fatalf("kept %d, want 16", n)
	}
	s := b.Stats()
	if s.Dropped["sampled"] != 47 || s.Emitted != 63 {
		t.Fatalf("stats %+v, want 63 emitted, 47 sampled", s)
	}
	balance(t, b)
}

func TestSamplingValidates(t *testing.T) {
	b := newBatch(t, new(recordtest.Exporter), nil, BatchConfig{})
	defer b.Shutdown(context.Background())
	if _, err := NewSample(b, Sampling{First: 1, Thereafter: -1}); !errors.Is(err, ErrInvalidConfig) {
		t.Fatalf("NewSample with a negative Thereafter = %v, want ErrInvalidConfig", err)
	}
}

func TestSamplingWindowResets(t *testing.T) {
	s := newSampler(Sampling{First: 2, Interval: time.Second})
	r := msgRec("m", log.SeverityInfo)
	now := time.Now()
	got := []bool{s.keep(r, now), s.keep(r, now), s.keep(r, now), s.keep(r, now.Add(2*time.Second))}
	if want := []bool{true, true, false, true}; !equalBools(got, want) {
		t.Fatalf("keep = %v, want %v", got, want)
	}
	if newSampler(Sampling{}) != nil {
		t.Fatal("sampling is on with First = 0")
	}
}

func equalBools(a, b []bool) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
