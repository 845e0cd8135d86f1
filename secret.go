package resilog

import (
	"fmt"
	"log/slog"
)

// Secret is a string that never shows itself in logs: slog, fmt and encoding/json all see
// [REDACTED:secret]. Reveal returns the value for the code that needs it.
//
//	type Credentials struct {
//		User     string
//		Password resilog.Secret
//	}
//	log.Info("login", "creds", creds) // {User:bob Password:[REDACTED:secret]}
type Secret string

const secretText = "[REDACTED:secret]"

// Reveal returns the secret itself.
func (s Secret) Reveal() string { return string(s) }

// LogValue implements slog.LogValuer.
func (Secret) LogValue() slog.Value { return slog.StringValue(secretText) }

// String implements fmt.Stringer.
func (Secret) String() string { return secretText }

// Format implements fmt.Formatter, so that no verb (%v, %+v, %#v, %s, %q, %x) prints the
// value.
func (Secret) Format(f fmt.State, verb rune) {
	if verb == 'q' {
		fmt.Fprintf(f, "%q", secretText)
		return
	}
	fmt.Fprint(f, secretText)
}

// MarshalJSON implements json.Marshaler.
func (Secret) MarshalJSON() ([]byte, error) { return []byte(`"` + secretText + `"`), nil }

// MarshalText implements encoding.TextMarshaler.
func (Secret) MarshalText() ([]byte, error) { return []byte(secretText), nil }
