package processor_test

import (
	"fmt"
	"regexp"

	"github.com/resilog/resilog/processor"
)

func ExampleRedact_String() {
	r, err := processor.NewRedact(processor.RedactConfig{})
	if err != nil {
		panic(err)
	}
	fmt.Println(r.String("login failed for user=jdoe password=hunter22 from jane@example.com"))
	fmt.Println(r.String("charged 4242 4242 4242 4242, order 4406486902527628"))
	// Output:
	// login failed for user=jdoe password=[REDACTED:secret] from [REDACTED:email]
	// charged ****4242, order 4406486902527628
}

func ExampleNewRedact() {
	r, err := processor.NewRedact(processor.RedactConfig{
		Keys:     map[string]processor.Kind{"customer_note": ""},
		Patterns: []processor.Pattern{{Kind: "order_secret", Regexp: regexp.MustCompile(`OS-[0-9]{6}`)}},
		Masks:    map[processor.Kind]processor.Mask{processor.KindEmail: processor.MaskHMAC},
		HMACKey:  []byte("rotate me"),
	})
	if err != nil {
		panic(err)
	}
	fmt.Println(r.String("customer_note=call-me ref OS-123456"))
	// Output: customer_note=[REDACTED:secret] ref [REDACTED:order_secret]
}
