package redact_test

import (
	"fmt"
	"regexp"

	"github.com/resilog/resilog/redact"
)

func ExampleRedactor_String() {
	r, err := redact.New(redact.Config{})
	if err != nil {
		panic(err)
	}
	fmt.Println(r.String("login failed for user=jdoe password=hunter22 from jane@example.com"))
	fmt.Println(r.String("charged 4242 4242 4242 4242, order 4406486902527628"))
	// Output:
	// login failed for user=jdoe password=[REDACTED:secret] from [REDACTED:email]
	// charged ****4242, order 4406486902527628
}

func ExampleNew() {
	r, err := redact.New(redact.Config{
		Keys:     map[string]redact.Kind{"customer_note": ""},
		Patterns: []redact.Pattern{{Kind: "order_secret", Regexp: regexp.MustCompile(`OS-[0-9]{6}`)}},
		Masks:    map[redact.Kind]redact.Mask{redact.KindEmail: redact.MaskHMAC},
		HMACKey:  []byte("rotate me"),
	})
	if err != nil {
		panic(err)
	}
	fmt.Println(r.String("customer_note=call-me ref OS-123456"))
	// Output: customer_note=[REDACTED:secret] ref [REDACTED:order_secret]
}
