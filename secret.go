package resilog

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
)

// Secret holds a string that never shows itself in logs: slog, fmt (every verb, and as a
// field of a struct printed with %v, %+v or %#v, exported or not), encoding/json and
// encoding/text all see [REDACTED:secret], or at worst a code address. Reveal returns the
// value for the code that needs it. The zero (nil) Secret holds "".
//
//	type Credentials struct {
//		User     string
//		Password resilog.Secret
//	}
//	creds := Credentials{User: "bob", Password: resilog.NewSecret("hunter2")}
//	log.Info("login", "creds", creds) // {User:bob Password:[REDACTED:secret]}
//
// Secret is a function, not a string type: fmt prints an unexported struct field by
// reflection, without calling its String or Format method, and would print a string
// type's value there ({cred:hunter2}). A function holds its value where no
// reflection-based printer (fmt, spew, a test library's diff) can look: such a field
// prints as an address. Build one with NewSecret, or convert a function that fetches the
// value when asked (Secret(vault.Password)). It decodes from JSON strings and text
// (UnmarshalJSON, UnmarshalText), so configuration structs can hold it directly; compare
// Reveal's results, not Secrets.
type Secret func() string

const secretText = "[REDACTED:secret]"

// NewSecret returns a Secret holding s.
func NewSecret(s string) Secret {
	return func() string { return s }
}

// Reveal returns the secret itself.
func (s Secret) Reveal() string {
	if s == nil {
		return ""
	}
	return s()
}

// LogValue implements slog.LogValuer.
func (Secret) LogValue() slog.Value { return slog.StringValue(secretText) }

// String implements fmt.Stringer.
func (Secret) String() string { return secretText }

// GoString implements fmt.GoStringer.
func (Secret) GoString() string { return secretText }

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

// UnmarshalText implements encoding.TextUnmarshaler: the text is the secret.
func (s *Secret) UnmarshalText(text []byte) error {
	*s = NewSecret(string(text))
	return nil
}

// UnmarshalJSON implements json.Unmarshaler: a JSON string is the secret; null leaves s
// unchanged.
func (s *Secret) UnmarshalJSON(data []byte) error {
	if string(data) == "null" {
		return nil
	}
	var v string
	if json.Unmarshal(data, &v) != nil {
		// json's error is not wrapped: it may quote part of the value.
		return errors.New("resilog: a Secret decodes from a JSON string")
	}
	*s = NewSecret(v)
	return nil
}
