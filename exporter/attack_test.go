package exporter

import (
	"strings"
	"testing"
)

// ValidateEndpoint's errors promise scheme and host only, but the host includes the port,
// and an endpoint missing its "@host" part ("ftp://bob:4242424242424242") parses with the
// password as the port: a card number, or any numeric PIN, is quoted back.
func TestAttackValidateEndpointQuotesPort(t *testing.T) {
	err := ValidateEndpoint("ftp://bob:4242424242424242")
	if err == nil {
		t.Fatal("no error")
	}
	if strings.Contains(err.Error(), "4242424242424242") {
		t.Errorf("the error quotes a card number: %v", err)
	}
}
