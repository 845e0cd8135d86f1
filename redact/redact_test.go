package redact

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"go.opentelemetry.io/otel/attribute"
)

type sample struct{ category, line, secret string }

// loadCorpus reads a corpus file: category, line, and for positives the secret that must
// vanish. The shared corpus (../../shared/corpus) is used when present, the copy in
// testdata otherwise.
func loadCorpus(t testing.TB, name string) []sample {
	t.Helper()
	path := filepath.Join("..", "..", "shared", "corpus", name)
	if _, err := os.Stat(path); err != nil {
		path = filepath.Join("testdata", name)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []sample
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if sc.Text() == "" {
			continue
		}
		parts := strings.Split(sc.Text(), "\t")
		s := sample{category: parts[0], line: parts[1]}
		if len(parts) > 2 {
			s.secret = parts[2]
		}
		out = append(out, s)
	}
	if len(out) == 0 {
		t.Fatalf("%s is empty", path)
	}
	return out
}

func newTestRedact(t testing.TB, c Config) *Redactor {
	t.Helper()
	r, err := New(c)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// record is what a log record holds that redaction looks at.
type record struct {
	body  attribute.Value
	attrs []attribute.KeyValue
}

// redactRecord redacts a body and attributes as processor.Redact does a record's.
func redactRecord(t testing.TB, r *Redactor, body string, attrs ...attribute.KeyValue) record {
	t.Helper()
	rec := record{}
	rec.body, _ = r.Value(attribute.StringValue(body))
	for _, kv := range attrs {
		if out, keep, _ := r.KeyValue(kv); keep {
			rec.attrs = append(rec.attrs, out)
		}
	}
	return rec
}

// everything renders a record's body and attributes as one string to search.
func everything(rec record) string {
	var b strings.Builder
	b.WriteString(rec.body.String())
	for _, kv := range rec.attrs {
		b.WriteString(" " + string(kv.Key) + "=" + kv.Value.String())
	}
	return b.String()
}

func TestCorpusPositives(t *testing.T) {
	r := newTestRedact(t, Config{})
	for _, s := range loadCorpus(t, "redact-positives.tsv") {
		t.Run(s.category, func(t *testing.T) {
			if got := r.String(s.line); strings.Contains(got, s.secret) {
				t.Errorf("free text: %q still holds the secret", got)
			}
			rec := redactRecord(t, r, s.line, attribute.String("detail", s.line))
			if got := everything(rec); strings.Contains(got, s.secret) {
				t.Errorf("body/attribute: %q still holds the secret", got)
			}
			nested := redactRecord(t, r, "m", attribute.Map("outer", attribute.Map("inner", attribute.String("detail", s.line))))
			if got := everything(nested); strings.Contains(got, s.secret) {
				t.Errorf("two groups deep: %q still holds the secret", got)
			}
			once := r.String(s.line)
			if twice := r.String(once); twice != once {
				t.Errorf("not idempotent: %q then %q", once, twice)
			}
		})
	}
}

func TestCorpusNegatives(t *testing.T) {
	r := newTestRedact(t, Config{})
	for _, s := range loadCorpus(t, "redact-negatives.tsv") {
		t.Run(s.category, func(t *testing.T) {
			if got := r.String(s.line); got != s.line {
				t.Errorf("free text changed: %q -> %q", s.line, got)
			}
			rec := redactRecord(t, r, s.line, attribute.String("detail", s.line))
			if got, want := everything(rec), s.line+" detail="+s.line; got != want {
				t.Errorf("record changed: %q", got)
			}
		})
	}
}

// TestCategories covers every category the rules claim, beyond the corpus sample.
func TestCategories(t *testing.T) {
	r := newTestRedact(t, Config{})
	cases := []struct{ name, in, secret, want string }{
		{"aws session key", "key ASIAY34FZKBOKMUTVV7A used", "ASIAY34FZKBOKMUTVV7A", "key [REDACTED:aws_key] used"},
		{"github oauth", "gho_16C7e42F292c6912E7710c838347Ae178B4a", "gho_16C7e42F292c6912E7710c838347Ae178B4a", ""},
		{"gitlab", "token glpat-xV3y_kQ9pZ2mN8bR4tW1 leaked", "glpat-xV3y_kQ9pZ2mN8bR4tW1", ""},
		{"slack webhook", "POST https://hooks.slack.com/services/T0A1B2C3D/B4E5F6G7H/abcdEFGHijklMNOPqrstUVWX", "abcdEFGHijklMNOPqrstUVWX", ""},
		{"anthropic", "sk-ant-api03-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789abcdEFGH-xyz", "sk-ant-api03-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789abcdEFGH", ""},
		{"openai legacy", "sk-AbCdEfGhIjKlMnOpQrStT3BlbkFJuVwXyZ0123456789abcd", "sk-AbCdEfGhIjKlMnOpQrStT3BlbkFJuVwXyZ0123456789abcd", ""},
		{"vault", "hvs.CAESIJlU9JMYEhOPYv4igdhm9PnZDrabYOobQ4QmnlMfbbd3Gh4KHGh2cy5h", "hvs.CAESIJlU9JMYEhOPYv4igdhm9PnZDrabYOobQ4QmnlMfbbd3Gh4KHGh2cy5h", ""},
		{"npm", "//registry.npmjs.org/:_authToken=npm_A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8", "npm_A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8", ""},
		{"pypi", "pypi-AgEIcHlwaS5vcmcCJGE4ZjY5ZDA0LTk4YjQtNDQ1MS1iYWE0LWVhNzc0ZWU1MWY4OQACKlszLCJiNGQ", "pypi-AgEIcHlwaS5vcmcCJGE4ZjY5ZDA0LTk4YjQtNDQ1MS1iYWE0LWVhNzc0ZWU1MWY4OQACKlszLCJiNGQ", ""},
		{"sendgrid", "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", "TwL2iGABf9DHoTf-09kqeF8tAmbihYzrnopKc-1s5cr", ""},
		{"azure", "DefaultEndpointsProtocol=https;AccountName=acme;AccountKey=Zm9vYmFyYmF6cXV4Zm9vYmFyYmF6cXV4Zm9vYmFyYmF6cXV4==;EndpointSuffix=core.windows.net", "Zm9vYmFyYmF6cXV4Zm9vYmFyYmF6cXV4Zm9vYmFyYmF6cXV4==", ""},
		{"pem raw newlines", "-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA3Tz2mr7SZiAMfQyuvBjM2Bx8\n-----END RSA PRIVATE KEY-----", "MIIEpAIBAAKCAQEA3Tz2mr7SZiAMfQyuvBjM2Bx8", ""},
		{"pem unterminated", "key: -----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIBkg4LVWM9nuwNSk3yByxZpYRTBnVJk5o", "MHcCAQEEIBkg4LVWM9nuwNSk3yByxZpYRTBnVJk5o", ""},
		{"basic auth", "Authorization: Basic ZGVwbG95OnMzY3JldC1wYXNz", "ZGVwbG95OnMzY3JldC1wYXNz", "Authorization: Basic [REDACTED:authorization]"},
		{"set-cookie", "Set-Cookie: session=9f8e7d6c5b4a39281706; Path=/; HttpOnly", "9f8e7d6c5b4a39281706", ""},
		{"query secret", "GET /cb?client_secret=s3cr3tV4lu3xyz&page=2", "s3cr3tV4lu3xyz", "GET /cb?client_secret=[REDACTED:secret]&page=2"},
		{"key: value", "api_key: 7f3c9a1b2d4e6f8091a2b3c4", "7f3c9a1b2d4e6f8091a2b3c4", "api_key: [REDACTED:secret]"},
		{"json pair", `{"user":"bob","client_secret":"abc\"def"}`, `abc\"def`, `{"user":"bob","client_secret":"[REDACTED:secret]"}`},
		{"go struct", "{User:bob Password:hunter22 Age:3}", "hunter22", "{User:bob Password:[REDACTED:secret] Age:3}"},
		{"camelCase key", "refreshToken=r1r2r3r4r5r6", "r1r2r3r4r5r6", ""},
		{"amex", "card 378282246310005 declined", "378282246310005", "card ****0005 declined"},
		{"card dashed", "pan 5105-1051-0510-5100", "5105-1051-0510-5100", ""},
		{"iban grouped", "pay to GB82 WEST 1234 5698 7654 32 now", "GB82 WEST 1234 5698 7654 32", ""},
		{"ssn in text", "ssn on file: 123-45-6789.", "123-45-6789", ""},
		{"nino compact", "NI AB123456C", "AB123456C", ""},
		{"email in sentence", "contact bob.smith@example.co.uk.", "bob.smith@example.co.uk", "contact [REDACTED:email]."},
		{"phone spaced", "call +44 20 7946 0958 now", "+44 20 7946 0958", "call [REDACTED:phone] now"},
		{"cvc key", "cvc: 123", "123", "cvc: [REDACTED:cvv]"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := r.String(c.in)
			if strings.Contains(got, c.secret) {
				t.Errorf("%q still holds %q", got, c.secret)
			}
			if c.want != "" && got != c.want {
				t.Errorf("got %q, want %q", got, c.want)
			}
			if again := r.String(got); again != got {
				t.Errorf("not idempotent: %q -> %q", got, again)
			}
		})
	}
}

func TestMustPassUnchanged(t *testing.T) {
	r := newTestRedact(t, Config{})
	for _, s := range []string{
		"order created", "149.99", "user 88 paid 12.50 EUR",
		"sha256:9b2a4f1e5c3d7a8b0e6f4c2d1a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a1b", // image digest
		"[REDACTED:email]", "****4242", "[HMAC:email:0123456789abcdef]",
		"order 4406486902527628", "retry in 1500 ms", "ratio=0.75", "level=info msg=ok",
		"2026-05-07 14:32:01 +0000", "v1.2.3+build.5", "000-12-3456", "666-12-3456",
		"token_count=1200", "tokens: 5", "https://example.com/a?b=c", "ISBN 978-3-16-148410-0",
	} {
		if got := r.String(s); got != s {
			t.Errorf("%q changed to %q", s, got)
		}
	}
}

func TestKeyRules(t *testing.T) {
	r := newTestRedact(t, Config{})
	rec := redactRecord(t, r, "login",
		attribute.String("password", "hunter2"),
		attribute.String("X-API-Key", "abc"),
		attribute.String("clientSecret", "def"),
		attribute.String("db.password", "ghi"),
		attribute.Int("cvv", 123),
		attribute.String("card_number", "4111 1111 1111 1111"),
		attribute.Int64("pan", 4111111111111111),
		attribute.String("card_last_four", "4242"),
		attribute.Int("prompt_tokens", 1200),
		attribute.String("trace_id", "a5634e227084f14aa3d7c4be697b46ad"),
		attribute.Map("authorization", attribute.String("scheme", "Bearer")),
		attribute.String("note", "password=[REDACTED]"),
	)
	want := "login password=[REDACTED:secret] X-API-Key=[REDACTED:secret] clientSecret=[REDACTED:secret] " +
		"db.password=[REDACTED:secret] cvv=[REDACTED:cvv] card_number=****1111 pan=****1111 card_last_four=4242 " +
		"prompt_tokens=1200 trace_id=a5634e227084f14aa3d7c4be697b46ad authorization=[REDACTED:authorization] note=password=[REDACTED]"
	if got := everything(rec); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

func TestConfiguration(t *testing.T) {
	t.Run("groups off", func(t *testing.T) {
		r := newTestRedact(t, Config{Off: []Group{GroupContact, GroupPayment}})
		in := "mail jane@example.com card 4111111111111111 token 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"
		if got := r.String(in); got != "mail jane@example.com card 4111111111111111 token [REDACTED:github_token]" {
			t.Errorf("got %q", got)
		}
	})
	t.Run("user keys, paths, allow, patterns", func(t *testing.T) {
		r := newTestRedact(t, Config{
			Keys:     map[string]Kind{"customer_note": "", "user.address.street": "address"},
			Allow:    []string{"session"},
			Patterns: []Pattern{{Kind: "order_secret", Regexp: regexp.MustCompile(`OS-[0-9]{6}`)}},
		})
		rec := redactRecord(t, r, "ref OS-123456",
			attribute.String("customerNote", "call me"),
			attribute.String("session", "kept"),
			attribute.Map("user", attribute.Map("address", attribute.String("street", "1 Main St"), attribute.String("city", "Paris"))))
		want := `ref [REDACTED:order_secret] customerNote=[REDACTED:secret] session=kept user={"address":{"city":"Paris","street":"[REDACTED:address]"}}`
		if got := everything(rec); got != want {
			t.Errorf("got  %s\nwant %s", got, want)
		}
	})
	t.Run("hmac is stable and keyed", func(t *testing.T) {
		r1 := newTestRedact(t, Config{Masks: map[Kind]Mask{KindEmail: MaskHMAC}, HMACKey: []byte("k1")})
		r2 := newTestRedact(t, Config{Masks: map[Kind]Mask{KindEmail: MaskHMAC}, HMACKey: []byte("k2")})
		a, b := r1.String("jane@example.com"), r1.String("to jane@example.com")
		if !strings.HasPrefix(a, "[HMAC:email:") || !strings.HasSuffix(b, a) {
			t.Errorf("pseudonyms %q and %q differ for the same address", a, b)
		}
		if c := r2.String("jane@example.com"); c == a {
			t.Error("another key gave the same pseudonym")
		}
		if r1.String(a) != a {
			t.Error("a pseudonym was redacted again")
		}
	})
	t.Run("drop", func(t *testing.T) {
		r := newTestRedact(t, Config{Masks: map[Kind]Mask{KindSecret: MaskDrop}})
		rec := redactRecord(t, r, "m", attribute.String("password", "hunter2"), attribute.String("user", "bob"))
		if got := everything(rec); got != "m user=bob" {
			t.Errorf("got %q", got)
		}
	})
	t.Run("bad config", func(t *testing.T) {
		for _, c := range []Config{
			{Masks: map[Kind]Mask{KindEmail: MaskHMAC}},
			{Off: []Group{42}},
			{Patterns: []Pattern{{Kind: "x"}}},
			{Masks: map[Kind]Mask{KindEmail: 99}},
			{Keys: map[string]Kind{"note": "Customer Note"}},
			{Patterns: []Pattern{{Kind: "Order]", Regexp: regexp.MustCompile("x")}}},
			{MaxString: -1},
		} {
			if _, err := New(c); !errors.Is(err, ErrInvalidConfig) {
				t.Errorf("%+v: got %v", c, err)
			}
		}
	})
}

func TestBounds(t *testing.T) {
	r := newTestRedact(t, Config{MaxDepth: 4, MaxString: 1 << 10})
	v := attribute.StringValue("jane@example.com")
	for range 10 {
		v = attribute.MapValue(attribute.KeyValue{Key: "g", Value: v})
	}
	rec := redactRecord(t, r, strings.Repeat("x", 2000), attribute.KeyValue{Key: "deep", Value: v})
	got := everything(rec)
	if strings.Contains(got, "jane@") || !strings.Contains(got, "[REDACTED:too_deep]") || !strings.HasPrefix(got, "[REDACTED:too_large]") {
		t.Errorf("got %q", got)
	}
}

func FuzzRedact(f *testing.F) {
	for _, s := range []string{"password=hunter2", "4111 1111 1111 1111", "a@b.co", "Bearer abcdefghijk", "-----BEGIN PRIVATE KEY-----\nabc", "\xff\xfe", "+1 (415) 555-0132",
		`{"password": "x", "a@b.co": [1, 4111111111111111, "\u003c"]}`, "password=[REDACTED:secret]x"} {
		f.Add(s)
	}
	r, err := New(Config{})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, s string) {
		once := r.String(s)
		if twice := r.String(once); twice != once {
			t.Errorf("not idempotent: %q -> %q -> %q", s, once, twice)
		}
		if utf8.ValidString(s) && !utf8.ValidString(once) {
			t.Errorf("valid UTF-8 in, invalid out: %q -> %q", s, once)
		}
		r.Value(attribute.MapValue(attribute.String(s, s), attribute.Map("g", attribute.String("password", s))))
		r.Value(attribute.ByteSliceValue([]byte(s)))
		// JSON: valid JSON in, valid JSON out, unchanged when there is nothing to redact,
		// idempotent.
		if out, err := r.JSON([]byte(s)); err == nil {
			if !json.Valid(out) {
				t.Errorf("JSON %q came out invalid: %q", s, out)
			}
			if again, err := r.JSON(out); err != nil || !bytes.Equal(again, out) {
				t.Errorf("JSON not idempotent: %q -> %q -> %q (%v)", s, out, again, err)
			}
		}
		// The streaming Writer gives what String gives.
		var b bytes.Buffer
		w := r.NewWriter(&b)
		w.Write([]byte(s))
		if w.Close(); b.String() != once {
			t.Errorf("Writer %q -> %q, String -> %q", s, b.String(), once)
		}
	})
}

// TestMayContainAgreesWithScanFlags keeps the fast path and the full scan in step.
func TestMayContainAgreesWithScanFlags(t *testing.T) {
	for _, s := range append(append(loadLines(t, "redact-positives.tsv"), loadLines(t, "redact-negatives.tsv")...),
		"order created", "149.99", "+44 20", "GB82", "a@b", "x=1", "Bearer abc", "12345", "123456") {
		if got, want := mayContain(s), scanFlags(s)&worthScanning != 0; got != want {
			t.Errorf("mayContain(%q) = %v, scanFlags says %v", s, got, want)
		}
	}
}

func loadLines(t *testing.T, name string) []string {
	var out []string
	for _, s := range loadCorpus(t, name) {
		out = append(out, s.line)
	}
	return out
}

// TestTrustsOnlyExactMasks: a value that merely starts like a mask is not trusted as one
// (issue 12, item 8); our own masks still pass, so redaction stays idempotent.
func TestTrustsOnlyExactMasks(t *testing.T) {
	r := newTestRedact(t, Config{})
	for _, c := range []struct{ in, secret string }{
		{"password=****hunter2", "hunter2"},
		{"password=[REDACTED]hunter2", "hunter2"},
		{"password=[REDACTED:secret]hunter2", "hunter2"},
		{"password: [HMAC:secret:zz]hunter2", "hunter2"},
		{`{"password":"****hunter2"}`, "hunter2"},
		{"Cookie: session=****9f8e7d6c5b4a", "9f8e7d6c5b4a"},
	} {
		if got := r.String(c.in); strings.Contains(got, c.secret) {
			t.Errorf("text %q: got %q", c.in, got)
		}
	}
	for _, v := range []string{"****hunter2", "[REDACTED]hunter2", "[REDACTED:secret] hunter2", "[HMAC:x:0123456789abcdef]hunter2", "****12345"} {
		rec := redactRecord(t, r, "m", attribute.String("password", v))
		if got := everything(rec); got != "m password=[REDACTED:secret]" {
			t.Errorf("password=%q: got %q", v, got)
		}
		out, err := r.JSON([]byte(`{"password":` + strconv.Quote(v) + `}`))
		if err != nil || string(out) != `{"password":"[REDACTED:secret]"}` {
			t.Errorf("JSON password %q: got %s, %v", v, out, err)
		}
	}
	for _, v := range []string{"[REDACTED]", "[REDACTED:secret]", "[HMAC:email:0123456789abcdef]", "****4242", "********", "xxxx"} {
		rec := redactRecord(t, r, "m", attribute.String("password", v))
		if got := everything(rec); got != "m password="+v {
			t.Errorf("our own mask %q was masked again: %q", v, got)
		}
		if got := r.String("password=" + v + " next"); got != "password="+v+" next" {
			t.Errorf("our own mask %q was masked again in text: %q", v, got)
		}
	}
}

// TestNumbersOfEveryType: a card number is found whatever the number's type (issue 12,
// item 9): float64 (what json.Unmarshal gives), slices of numbers, JSON numbers with an
// exponent.
func TestNumbersOfEveryType(t *testing.T) {
	r := newTestRedact(t, Config{})
	var decoded map[string]any
	if err := json.Unmarshal([]byte(`{"ref":4111111111111111}`), &decoded); err != nil {
		t.Fatal(err)
	}
	rec := redactRecord(t, r, "m",
		attribute.Float64("ref", decoded["ref"].(float64)),
		attribute.Float64("neg", -5105105105105100),
		attribute.Int64Slice("refs", []int64{88, 4111111111111111}),
		attribute.Float64Slice("frefs", []float64{1.5, 378282246310005}),
		attribute.Float64("amount", 149.99),
		attribute.Float64("order", 4406486902527628), // fails Luhn
		attribute.Float64Slice("plain", []float64{1.5, 2}),
	)
	want := "m ref=****1111 neg=****5100 refs=[88,\"****1111\"] frefs=[1.5,\"****0005\"] amount=149.99 order=4.406486902527628e+15 plain=[1.5,2]"
	if got := everything(rec); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	for in, want := range map[string]string{
		`{"n":4.111111111111111e15}`:    `{"n":"****1111"}`,
		`{"n":4111111111111111.0}`:      `{"n":"****1111"}`,
		`{"n":[1, 4111111111111111]}`:   `{"n":[1, "****1111"]}`,
		`{"n":4406486902527628, "m":1}`: `{"n":4406486902527628, "m":1}`,
	} {
		if got, err := r.JSON([]byte(in)); err != nil || string(got) != want {
			t.Errorf("JSON %s: got %s, %v; want %s", in, got, err, want)
		}
	}
}

// TestKeysAreScanned: a secret held by an attribute key, a group name or a map key is
// masked (issue 12, item 3), in records as in JSON.
func TestKeysAreScanned(t *testing.T) {
	r := newTestRedact(t, Config{})
	const tok = "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"
	rec := redactRecord(t, r, "m",
		attribute.String(tok, "1"),
		attribute.Map("jane@example.com", attribute.String("plan", "pro")),
		attribute.Map("users", attribute.Map("bob", attribute.Int("n", 1)), attribute.Int("4111 1111 1111 1111", 2)),
		attribute.String("password=hunter22", "x"),
	)
	want := `m [REDACTED:github_token]=1 [REDACTED:email]={"plan":"pro"} users={"****1111":2,"bob":{"n":1}} password=[REDACTED:secret]=x`
	if got := everything(rec); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	out, err := r.JSON([]byte(`{"` + tok + `": 1, "a": {"jane@example.com": true}}`))
	if err != nil || string(out) != `{"[REDACTED:github_token]": 1, "a": {"[REDACTED:email]": true}}` {
		t.Errorf("JSON: %s, %v", out, err)
	}
	// The key cache keeps no surprise: a clean key stays as it is, the second time too.
	for range 2 {
		if out, keep, changed := r.KeyValue(attribute.String("order_id", "7")); !keep || changed || out.Key != "order_id" {
			t.Errorf("a clean key changed: %v %v %v", out, keep, changed)
		}
	}
}

// TestBytesAreScanned: []byte values are scanned as text when valid UTF-8, and through
// the JSON redactor when they hold JSON (a json.RawMessage) (issue 12, item 2).
func TestBytesAreScanned(t *testing.T) {
	r := newTestRedact(t, Config{})
	rec := redactRecord(t, r, "m",
		attribute.ByteSlice("text", []byte("login password=hunter22 ok")),
		attribute.ByteSlice("raw", json.RawMessage(`{"user": "bob", "token": "abc123456", "n": [1, "jane@example.com"]}`)),
		attribute.ByteSlice("binary", []byte{0xff, 0xfe, 'p', 'w', '=', '1'}),
		attribute.ByteSlice("clean", []byte("order created")),
	)
	got := map[string]string{}
	for _, kv := range rec.attrs {
		if kv.Value.Type() != attribute.BYTESLICE {
			t.Errorf("%s became a %s", kv.Key, kv.Value.Type())
		}
		got[string(kv.Key)] = string(kv.Value.AsByteSlice())
	}
	for k, want := range map[string]string{
		"text":   "login password=[REDACTED:secret] ok",
		"raw":    `{"user": "bob", "token": "[REDACTED:secret]", "n": [1, "[REDACTED:email]"]}`,
		"binary": "\xff\xfepw=1",
		"clean":  "order created",
	} {
		if got[k] != want {
			t.Errorf("%s: got %q, want %q", k, got[k], want)
		}
	}
}
