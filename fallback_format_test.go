package resilog

import (
	"os"
	"testing"

	"github.com/resilog/resilog/exporter"
)

// TestFallbackFormat: RESILOG_FALLBACK_FORMAT and WithFallbackFormat pick the default
// fallback's format, the option first; JSON lines stay the default.
func TestFallbackFormat(t *testing.T) {
	cases := []struct {
		name string
		env  map[string]string
		opts []Option
		want string
	}{
		{"default", nil, nil, FallbackFormatJSON},
		{"variable", map[string]string{"RESILOG_FALLBACK_FORMAT": "OTLP-JSON"}, nil, FallbackFormatOTLPJSON},
		{"option", nil, []Option{WithFallbackFormat("otlp-json")}, FallbackFormatOTLPJSON},
		{"option over variable", map[string]string{"RESILOG_FALLBACK_FORMAT": "otlp-json"}, []Option{WithFallbackFormat("json")}, FallbackFormatJSON},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, err := resolveWith(t, c.env, c.opts...)
			if err != nil {
				t.Fatal(err)
			}
			if s.fallback != c.want {
				t.Fatalf("fallback format = %q, want %q", s.fallback, c.want)
			}
			fb := defaultFallback(s, os.Stdout)
			defer fb.Shutdown(t.Context())
			_, otlp := fb.(*exporter.OTLPJSONLines)
			_, lines := fb.(*exporter.JSONLines)
			if otlp != (c.want == FallbackFormatOTLPJSON) || lines != (c.want == FallbackFormatJSON) {
				t.Errorf("default fallback is %T for format %q", fb, c.want)
			}
		})
	}
}
