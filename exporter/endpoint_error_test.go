package exporter

import (
	"strings"
	"testing"
)

// ValidateEndpoint's errors promise scheme and host only, but the host is a credential
// when the endpoint is malformed: "ftp://bob:4242424242424242" (the "@host" part missing)
// parses with the password as the port, and a token pasted where the host goes is the
// host. A card number and an API key are quoted back.
func TestValidateEndpointNeverQuotesHostOrPort(t *testing.T) {
	const key = "sk-proj-RkjEkeFeW6pGPExMIe35ymTM5LNGhXgtGIztEQFZrihKR87Ct358x208LsT3BlbkFJEfYLVt1NG8asAmjrYEb"
	for endpoint, secret := range map[string]string{
		"ftp://bob:4242424242424242": "4242424242424242",
		"ftp://" + key + ":4318/":    key,
	} {
		err := ValidateEndpoint(endpoint)
		if err == nil {
			t.Fatalf("%.20s…: no error", endpoint)
		}
		if strings.Contains(err.Error(), secret) {
			t.Errorf("the error quotes %.20q…: %v", secret, err)
		}
	}
}
