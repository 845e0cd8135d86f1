package e2e

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/resilog/resilog"
	"github.com/resilog/resilog/collector/collectortest"
	"github.com/resilog/resilog/exporter"
	"github.com/resilog/resilog/propagation"
)

// secrets are logged at the top level, in a nested group, in the message and in an
// error's text; none may reach the collector or the fallback.
var secrets = []string{
	"hunter2-S3cret",
	"4111111111111111",
	"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",
	"jane.doe@example.com",
	"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJ1c2VyLTg4MTIifQ.AOB-3Te8AA9DKyP7ImZuYlB27P1FQWtlAm8T1I5E_zg",
	"pmdTbHLdua3UNOOT",
}

func logSecrets(p *resilog.Pipeline) { logSecretsTo(p.Logger("github.com/acme/shop/checkout")) }

// logSecretsTo logs every secret of secrets in one record to log.
func logSecretsTo(log *slog.Logger) {
	log.Error("payment for jane.doe@example.com failed with card 4111111111111111",
		"password", "hunter2-S3cret",
		slog.Group("request", slog.Group("headers", "Authorization", "Bearer eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJ1c2VyLTg4MTIifQ.AOB-3Te8AA9DKyP7ImZuYlB27P1FQWtlAm8T1I5E_zg")),
		"config", "token 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 loaded",
		"error", errors.New("dial postgres://app:pmdTbHLdua3UNOOT@db:5432/orders: refused"),
	)
}

func TestSecretsNeverLeaveTheProcess(t *testing.T) {
	for _, proto := range protocols {
		t.Run(proto, func(t *testing.T) {
			c := collectortest.Start(t)
			p := newPipeline(t, resilog.WithProtocol(proto), resilog.WithEndpoint(endpointFor(c, proto)))
			logSecrets(p)
			if err := p.Shutdown(context.Background()); err != nil {
				t.Fatal(err)
			}
			r := c.WaitForLogs(t, 1, 10*time.Second)[0]
			all := fmt.Sprint(r.Body, r.Attributes)
			for _, s := range secrets {
				if strings.Contains(all, s) {
					t.Errorf("the collector received %q: %s", s, all)
				}
			}
			if !strings.Contains(all, "[REDACTED:") || !strings.Contains(all, "****1111") {
				t.Errorf("no placeholders in %s", all)
			}
			if _, ok := r.Attributes["exception.message"]; !ok {
				t.Errorf("the error's exception.message is missing: %v", r.Attributes)
			}
		})
	}
	t.Run("fallback", func(t *testing.T) {
		c := collectortest.Start(t)
		c.Stop()
		stdout := new(lockedBuffer)
		p := newPipeline(t, resilog.WithEndpoint(c.HTTPEndpoint()), resilog.WithFallback(exporter.NewJSONLines(stdout)))
		logSecrets(p)
		if err := p.Shutdown(context.Background()); err != nil {
			t.Fatal(err)
		}
		lines := stdout.lines()
		if len(lines) != 1 {
			t.Fatalf("fallback wrote %d lines", len(lines))
		}
		for _, s := range secrets {
			if strings.Contains(string(lines[0]), s) {
				t.Errorf("the fallback wrote %q: %s", s, lines[0])
			}
		}
	})
}

// Resource attributes travel with every batch: a secret in OTEL_RESOURCE_ATTRIBUTES must
// reach the collector redacted, like a record's.
func TestResourceSecretsNeverLeaveTheProcess(t *testing.T) {
	t.Setenv("OTEL_RESOURCE_ATTRIBUTES", "db.password=hunter2-S3cret,db.url=postgres://app:pmdTbHLdua3UNOOT@db:5432/orders,team=shop")
	for _, proto := range protocols {
		t.Run(proto, func(t *testing.T) {
			c := collectortest.Start(t)
			p := newPipeline(t, resilog.WithProtocol(proto), resilog.WithEndpoint(endpointFor(c, proto)))
			p.Logger("github.com/acme/shop/checkout").Info("started")
			if err := p.Shutdown(context.Background()); err != nil {
				t.Fatal(err)
			}
			r := c.WaitForLogs(t, 1, 10*time.Second)[0]
			res := fmt.Sprint(r.Resource)
			for _, s := range []string{"hunter2-S3cret", "pmdTbHLdua3UNOOT"} {
				if strings.Contains(res, s) {
					t.Errorf("the collector received %q in the resource: %s", s, res)
				}
			}
			if r.Resource["team"] != "shop" || r.Resource["db.password"] == nil {
				t.Errorf("resource %s lost its attributes", res)
			}
		})
	}
}

// The attribute limits apply after redaction: a length limit no longer cuts a card number
// into digits redaction cannot recognise, and a count limit keeps the request ID.
func TestAttributeLimitsApplyAfterRedaction(t *testing.T) {
	t.Setenv("OTEL_LOGRECORD_ATTRIBUTE_VALUE_LENGTH_LIMIT", "14")
	t.Setenv("OTEL_LOGRECORD_ATTRIBUTE_COUNT_LIMIT", "3")
	c := collectortest.Start(t)
	p := newPipeline(t, resilog.WithEndpoint(c.HTTPEndpoint()))
	ctx := propagation.WithRequestID(context.Background(), "req-42")
	p.Logger("github.com/acme/shop/checkout").InfoContext(ctx, "paid", "card", "4242 4242 4242 4242", "a", 1, "b", 2, "c", 3)
	if err := p.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	r := c.WaitForLogs(t, 1, 10*time.Second)[0]
	all := fmt.Sprint(r.Attributes)
	if strings.Contains(all, "4242 4242 4242") {
		t.Errorf("the collector received the cut card number: %s", all)
	}
	if r.Attributes["request.id"] != "req-42" || len(r.Attributes) != 3 {
		t.Errorf("attributes %s: want 3, request.id among them", all)
	}
	if st := p.Stats(); st.AttributesDropped != 2 {
		t.Errorf("Stats.AttributesDropped = %d, want 2", st.AttributesDropped)
	}
}
