package resilog

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/resilog/resilog/internal/recordtest"
)

func TestSecretNeverShows(t *testing.T) {
	type creds struct {
		User     string
		Password Secret
	}
	c := creds{User: "bob", Password: "hunter2"}
	j, _ := json.Marshal(c)
	for _, out := range []string{
		fmt.Sprintf("%v", c), fmt.Sprintf("%+v", c), fmt.Sprintf("%#v", c), fmt.Sprintf("%s", c.Password),
		fmt.Sprintf("%q", c.Password), fmt.Sprintf("%x", c.Password), fmt.Sprint(c.Password), string(j),
	} {
		if strings.Contains(out, "hunter2") {
			t.Errorf("%q shows the secret", out)
		}
	}
	if c.Password.Reveal() != "hunter2" {
		t.Error("Reveal lost the value")
	}
	exp := new(recordtest.Exporter)
	p, err := New(context.Background(), envOf(nil), WithSDKExporter(exp), WithoutRedaction())
	if err != nil {
		t.Fatal(err)
	}
	p.Logger("x").Info("login", "password", c.Password, "creds", c)
	_ = p.Shutdown(context.Background())
	for _, r := range exp.Records() {
		if s := fmt.Sprint(recordtest.AsMap(r)); strings.Contains(s, "hunter2") {
			t.Errorf("exported %s", s)
		}
	}
}

func ExampleSecret() {
	password := Secret("hunter2")
	fmt.Println(password, fmt.Sprintf("%+v", struct{ P Secret }{password}))
	// Output: [REDACTED:secret] {P:[REDACTED:secret]}
}
