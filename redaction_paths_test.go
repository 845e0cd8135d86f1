package resilog

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/log"
	sdklog "go.opentelemetry.io/otel/sdk/log"

	"github.com/resilog/resilog/exporter"
	"github.com/resilog/resilog/processor"
	"github.com/resilog/resilog/propagation"
)

// Attacks on the redaction paths: each logs a secret the engine recognises on its own and
// fails if it reaches the OTLP request resilog would send (or the fallback: both are the
// same capture here).

// attackKey is an OpenAI project key from the shared corpus (redact-positives.tsv).
const attackKey = "sk-proj-RkjEkeFeW6pGPExMIe35ymTM5LNGhXgtGIztEQFZrihKR87Ct358x208LsT3BlbkFJEfYLVt1NG8asAmjrYEb"

func assertNoLeak(t *testing.T, out []byte, secret string) {
	t.Helper()
	if i := bytes.Index(out, []byte(secret)); i >= 0 {
		t.Errorf("secret left the process: ...%q...", out[max(0, i-40):min(len(out), i+len(secret)+8)])
	}
}

// The instrumentation scope (the logger's name) is exported as is: Redact sees records,
// not scopes.
func TestScopeNameIsRedacted(t *testing.T) {
	p, w := attackPipeline(t)
	p.Logger(attackKey).Info("hello")
	assertNoLeak(t, shipped(t, p, w), attackKey)
}

// The same scope name reaches the stdout exits: the JSON-lines fallback and the console.
func TestScopeNameIsRedactedInLocalExporters(t *testing.T) {
	for name, newExp := range map[string]func(io.Writer) sdklog.Exporter{
		"jsonlines": func(w io.Writer) sdklog.Exporter { return exporter.NewJSONLines(w) },
		"console":   func(w io.Writer) sdklog.Exporter { return exporter.NewConsole(w) },
	} {
		t.Run(name, func(t *testing.T) {
			var buf bytes.Buffer
			p, err := New(context.Background(), WithSDKExporter(newExp(&buf)), WithFallback(newExp(&buf)))
			if err != nil {
				t.Fatal(err)
			}
			p.Logger(attackKey).Info("hello")
			if err := p.Shutdown(context.Background()); err != nil {
				t.Fatal(err)
			}
			assertNoLeak(t, buf.Bytes(), attackKey)
		})
	}
}

// WithGlobal names slog.Default's logger after the service: the service name is redacted
// in the resource but shipped raw as the scope of every record logged through slog.
func TestGlobalLoggerScopeHasRedactedServiceName(t *testing.T) {
	old := slog.Default()
	t.Cleanup(func() { slog.SetDefault(old) })
	p, w := attackPipeline(t, WithGlobal(), WithServiceName("billing "+attackKey))
	slog.Info("hello")
	assertNoLeak(t, shipped(t, p, w), attackKey)
}

// Pipeline.LoggerProvider is documented for bridges other than slog; the record fields
// such bridges set besides body and attributes, and the scope's version, attributes and
// schema URL, are never redacted.
func TestOTelAPIFieldsAreRedacted(t *testing.T) {
	emit := map[string]func(log.LoggerProvider){
		"event name": func(lp log.LoggerProvider) {
			var r log.Record
			r.SetEventName(attackKey)
			lp.Logger("x").Emit(context.Background(), r)
		},
		"severity text": func(lp log.LoggerProvider) {
			var r log.Record
			r.SetSeverityText(attackKey)
			lp.Logger("x").Emit(context.Background(), r)
		},
		"scope version": func(lp log.LoggerProvider) {
			lp.Logger("x", log.WithInstrumentationVersion(attackKey)).Emit(context.Background(), log.Record{})
		},
		"scope attribute": func(lp log.LoggerProvider) {
			lp.Logger("x", log.WithInstrumentationAttributes(attribute.String("api_key", attackKey))).Emit(context.Background(), log.Record{})
		},
		"scope schema URL": func(lp log.LoggerProvider) {
			lp.Logger("x", log.WithSchemaURL("https://example.com/?key="+attackKey)).Emit(context.Background(), log.Record{})
		},
	}
	for name, f := range emit {
		t.Run(name, func(t *testing.T) {
			p, w := attackPipeline(t)
			f(p.LoggerProvider())
			assertNoLeak(t, shipped(t, p, w), attackKey)
		})
	}
}

// processor.Limit rebuilds a record over the count limit from a template made by a private
// LoggerProvider built WithResource(record's resource): the SDK merges
// resource.Environment() (read again, now, unredacted) into it. A variable set after New
// (os.Setenv by a library, a test, a config loader) reaches the collector in clear.
func TestLimitDoesNotRereadResourceEnvironment(t *testing.T) {
	p, w := attackPipeline(t, WithAttributeLimits(processor.LimitConfig{AttributeCount: 1}))
	t.Setenv("OTEL_RESOURCE_ATTRIBUTES", "db.password=hunter2")
	p.Logger("x").Info("hello", "a", 1, "b", 2)
	assertNoLeak(t, shipped(t, p, w), "hunter2")
}

// A resource attribute whose key holds a secret: the engine now masks the key, so the
// redacted resource no longer has the original key, and sdklog.WithResource's merge of
// resource.Environment() (read again, unredacted) adds it back, with its value: buildResource
// counts on "every key kept" for that merge to add nothing.
func TestResourceKeyHoldingSecretDoesNotComeBack(t *testing.T) {
	t.Setenv("OTEL_RESOURCE_ATTRIBUTES", attackKey+"=4242424242424242")
	p, w := attackPipeline(t)
	p.Logger("x").Info("hello")
	out := shipped(t, p, w)
	assertNoLeak(t, out, attackKey)
	assertNoLeak(t, out, "4242424242424242")
}

// A []byte is read as the bytes or text it holds wherever it sits (a struct field, a panic
// value recovered by RecoverMiddleware), never printed by fmt as a decimal list that no
// detector reads.
func TestByteSlicesReachRedactionAsText(t *testing.T) {
	const secret = "password=hunter2"
	decimal := strings.Trim(fmt.Sprint([]byte(secret)), "[]") // "112 97 115 ..."
	t.Run("struct field", func(t *testing.T) {
		p, w := attackPipeline(t)
		p.Logger("x").Info("hello", "req", struct{ Body []byte }{[]byte(secret)})
		assertNoLeak(t, shipped(t, p, w), decimal)
	})
	t.Run("panic value", func(t *testing.T) {
		p, w := attackPipeline(t)
		h := propagation.RecoverMiddleware(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
			panic([]byte(secret))
		}), p.Logger("x"))
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodPost, "/login", nil))
		assertNoLeak(t, shipped(t, p, w), decimal)
	})
}

// A struct's fields get the key rules the same map gets: the converter turns a struct into
// a map of its fields, so a session ID, a cookie, a private key, an SSN, a card number or
// an IBAN under its own field name is masked, logged as a map (the control), a struct or
// a pointer.
func TestStructFieldsGetTheKeyRulesOfAMap(t *testing.T) {
	type account struct {
		SessionID  string
		Cookie     string
		PrivateKey string
		SSN        string
		CardNumber string
		IBAN       string
	}
	values := account{"v-session-1", "v-cookie-1", "v-privkey-1", "v-ssn-1", "v-card-1", "v-iban-1"}
	asMap := map[string]string{"SessionID": values.SessionID, "Cookie": values.Cookie, "PrivateKey": values.PrivateKey,
		"SSN": values.SSN, "CardNumber": values.CardNumber, "IBAN": values.IBAN}
	for name, v := range map[string]any{"map": asMap, "struct": values, "pointer": &values} {
		t.Run(name, func(t *testing.T) {
			p, w := attackPipeline(t)
			p.Logger("x").Info("login", "account", v)
			out := shipped(t, p, w)
			for _, secret := range asMap {
				assertNoLeak(t, out, secret)
			}
		})
	}
}

// resilog.New must refuse a bad variable with an error, not panic. An export batch size
// above the queue size is checked only when both are set; alone, it reaches
// processor.NewBatch, which allocates MaxBatch records per buffer up front: here a
// makeslice panic out of New (a value like 100000000 is a fatal out-of-memory instead,
// which no test can run).
func TestNewRefusesBatchSizeOverQueueSize(t *testing.T) {
	t.Setenv("OTEL_BLRP_MAX_EXPORT_BATCH_SIZE", "4242424242424242")
	defer func() {
		if r := recover(); r != nil {
			t.Errorf("New panicked: %v", r)
		}
	}()
	p, err := New(context.Background(), WithSDKExporter(new(wire)))
	if err == nil {
		_ = p.Shutdown(context.Background())
		t.Error("New accepted a batch size larger than the default queue")
	}
}
