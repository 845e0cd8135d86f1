package resilog

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/resilog/resilog/propagation"
	"github.com/resilog/resilog/redact"
)

// A path rule reaches the fields of a logged struct, through nested structs and pointers,
// as it reaches the same nesting written with groups; the fields beside it stay.
func TestPathRulesReachStructFields(t *testing.T) {
	type address struct{ Street, City string }
	type user struct {
		Name    string
		Address *address
	}
	p, w := attackPipeline(t, WithRedaction(redact.Config{Keys: map[string]redact.Kind{"user.address.street": redact.KindSecret}}))
	p.Logger("x").Info("signup", slog.Any("user", user{"bob", &address{"12 Quiet Lane", "Lyon"}}))
	out := shipped(t, p, w)
	assertNoLeak(t, out, "12 Quiet Lane")
	for _, kept := range []string{"bob", "Lyon"} {
		if !bytesContain(out, kept) {
			t.Errorf("%q is missing: the rule masked more than its path", kept)
		}
	}
}

// The secret inside a byte slice is redacted, not only its decimal form gone: as a struct
// field (bytes) and as a panic value (exception.message text).
func TestSecretInByteSliceIsRedacted(t *testing.T) {
	const secret = "password=hunter2"
	t.Run("struct field", func(t *testing.T) {
		p, w := attackPipeline(t)
		p.Logger("x").Info("hello", "req", struct{ Body []byte }{[]byte(secret)})
		assertNoLeak(t, shipped(t, p, w), "hunter2")
	})
	t.Run("panic value", func(t *testing.T) {
		p, w := attackPipeline(t)
		h := propagation.RecoverMiddleware(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
			panic(struct{ Body []byte }{[]byte(secret)})
		}), p.Logger("x"))
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodPost, "/login", nil))
		out := shipped(t, p, w)
		assertNoLeak(t, out, "hunter2")
		if !bytesContain(out, "password") {
			t.Error("the panic value's text is missing from exception.message")
		}
	})
}

func bytesContain(b []byte, s string) bool { return bytes.Contains(b, []byte(s)) }
