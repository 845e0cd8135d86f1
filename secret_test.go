package resilog

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"reflect"
	"strings"
	"testing"

	"github.com/resilog/resilog/internal/recordtest"
)

// reflectDump prints every string reachable from v by reflection, unexported fields and
// pointers included, without calling any method: what spew-like printers and test
// libraries' diffs see.
func reflectDump(v reflect.Value, b *strings.Builder, depth int) {
	if depth > 10 || !v.IsValid() {
		return
	}
	switch v.Kind() {
	case reflect.String:
		b.WriteString(v.String() + " ")
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			reflectDump(v.Elem(), b, depth+1)
		}
	case reflect.Struct:
		for i := range v.NumField() {
			reflectDump(v.Field(i), b, depth+1)
		}
	case reflect.Slice, reflect.Array:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			b.WriteString(fmt.Sprintf("%s ", v.Bytes()))
			return
		}
		for i := range v.Len() {
			reflectDump(v.Index(i), b, depth+1)
		}
	case reflect.Map:
		for it := v.MapRange(); it.Next(); {
			reflectDump(it.Key(), b, depth+1)
			reflectDump(it.Value(), b, depth+1)
		}
	}
}

func TestSecretNeverShows(t *testing.T) {
	type creds struct {
		User     string
		Password Secret
	}
	type conn struct {
		host string
		cred Secret // unexported: fmt prints it by reflection, without its methods
		ptr  *Secret
	}
	c := creds{User: "bob", Password: NewSecret("hunter2")}
	pw := NewSecret("hunter2")
	u := conn{host: "db", cred: NewSecret("hunter2"), ptr: &pw}
	j, _ := json.Marshal(c)
	jm, _ := json.Marshal(map[string]any{"c": c, "s": []Secret{pw}})
	var dump strings.Builder
	reflectDump(reflect.ValueOf(u), &dump, 0)
	reflectDump(reflect.ValueOf(c), &dump, 0)
	for _, out := range []string{
		fmt.Sprintf("%v", c), fmt.Sprintf("%+v", c), fmt.Sprintf("%#v", c), fmt.Sprintf("%s", c.Password),
		fmt.Sprintf("%q", c.Password), fmt.Sprintf("%x", c.Password), fmt.Sprint(c.Password), string(j), string(jm),
		fmt.Sprintf("%v", u), fmt.Sprintf("%+v", u), fmt.Sprintf("%#v", u), fmt.Sprintf("%+v", &u),
		fmt.Sprintf("%v", []any{u, &u}), fmt.Sprintf("%+v", map[string]conn{"k": u}), dump.String(),
	} {
		if strings.Contains(out, "hunter2") {
			t.Errorf("%q shows the secret", out)
		}
	}
	if c.Password.Reveal() != "hunter2" || u.cred.Reveal() != "hunter2" {
		t.Error("Reveal lost the value")
	}
	exp := new(recordtest.Exporter)
	p, err := New(context.Background(), envOf(nil), WithSDKExporter(exp), WithoutRedaction())
	if err != nil {
		t.Fatal(err)
	}
	p.Logger("x").Info("login", "password", c.Password, "creds", c, "conn", u, "ptr", &u,
		"group", slog.GroupValue(slog.Any("conn", u)), "list", []conn{u})
	_ = p.Shutdown(context.Background())
	for _, r := range exp.Records() {
		if s := fmt.Sprint(recordtest.AsMap(r)); strings.Contains(s, "hunter2") {
			t.Errorf("exported %s", s)
		}
	}
}

func TestSecretDecodes(t *testing.T) {
	var cfg struct {
		Password Secret `json:"password"`
		Token    Secret `json:"token"`
	}
	if err := json.Unmarshal([]byte(`{"password":"hunter2","token":null}`), &cfg); err != nil {
		t.Fatal(err)
	}
	if cfg.Password.Reveal() != "hunter2" || cfg.Token.Reveal() != "" {
		t.Errorf("decoded %q and %q", cfg.Password.Reveal(), cfg.Token.Reveal())
	}
	if err := json.Unmarshal([]byte(`{"password":12345678}`), &cfg); err == nil || strings.Contains(err.Error(), "12345678") {
		t.Errorf("a number decoded as a Secret: %v", err)
	}
	var s Secret
	if err := s.UnmarshalText([]byte("hunter2")); err != nil || s.Reveal() != "hunter2" {
		t.Errorf("UnmarshalText: %v, %q", err, s.Reveal())
	}
	if Secret(nil).Reveal() != "" {
		t.Error("the zero Secret is not empty")
	}
}

func ExampleSecret() {
	password := NewSecret("hunter2")
	fmt.Println(password, fmt.Sprintf("%+v", struct{ P Secret }{password}), password.Reveal())
	// Output: [REDACTED:secret] {P:[REDACTED:secret]} hunter2
}
