package redact

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"strings"
	"testing"
)

// TestWriterMatchesString: text streamed through a Writer, in pieces of any size, comes
// out as String gives it whole, wherever the windows end.
func TestWriterMatchesString(t *testing.T) {
	r := newTestRedact(t, Config{MaxString: 8 << 20})
	rng := rand.New(rand.NewPCG(1, 2))
	secrets := []string{"password=hunter22", "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", "4111 1111 1111 1111",
		"jane@example.com", `"api_key": "7f3c9a1b2d4e6f8091a2b3c4"`, "Authorization: Bearer abcdefghijklmnop", "+44 20 7946 0958"}
	var text strings.Builder
	for text.Len() < 600<<10 {
		text.WriteString(strings.Repeat("lorem ipsum ", rng.IntN(500)))
		text.WriteString(secrets[rng.IntN(len(secrets))])
		text.WriteString(" ")
	}
	in := text.String()
	want := r.String(in)
	for _, piece := range []int{1 << 20, 4096, 777, 1} {
		var out bytes.Buffer
		w := r.NewWriter(&out)
		for rest := in; rest != ""; {
			n := min(len(rest), piece)
			if piece == 1 {
				n = min(len(rest), 1+rng.IntN(5000))
			}
			if m, err := w.Write([]byte(rest[:n])); err != nil || m != n {
				t.Fatalf("Write: %d, %v", m, err)
			}
			rest = rest[n:]
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		if out.String() != want {
			t.Errorf("pieces of %d: the streamed text differs from String's (%d against %d bytes)", piece, out.Len(), len(want))
			for i := range min(out.Len(), len(want)) {
				if out.String()[i] != want[i] {
					t.Errorf("first difference at %d: %q against %q", i, out.String()[max(0, i-40):min(out.Len(), i+40)], want[max(0, i-40):min(len(want), i+40)])
					break
				}
			}
		}
	}
}

// TestWriterLongSecret: a secret longer than the window (a PEM body with no end, a huge
// token) is masked to its end, across windows.
func TestWriterLongSecret(t *testing.T) {
	r := newTestRedact(t, Config{})
	body := strings.Repeat("MIIEpAIBAAKCAQEA3Tz2mr7SZiAMfQyuvBjM2Bx8", 10000) // 400 KB
	in := "key: -----BEGIN RSA PRIVATE KEY-----\\n" + body + " and then ok"
	var out bytes.Buffer
	w := r.NewWriter(&out)
	if _, err := w.Write([]byte(in)); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out.String(), "MIIEpAIB") || !strings.HasSuffix(out.String(), " and then ok") {
		t.Errorf("got %d bytes: %q … %q", out.Len(), out.String()[:min(out.Len(), 80)], out.String()[max(0, out.Len()-80):])
	}
	if out.Len() > 4096 {
		t.Errorf("the masked body still takes %d bytes", out.Len())
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestWriterError(t *testing.T) {
	w := newTestRedact(t, Config{}).NewWriter(failingWriter{})
	_, err := w.Write(bytes.Repeat([]byte("a"), 200<<10))
	if err == nil {
		err = w.Close()
	}
	if err == nil || err.Error() != "disk full" {
		t.Fatalf("got %v", err)
	}
}
