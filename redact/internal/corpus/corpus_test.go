package corpus

import (
	"reflect"
	"strings"
	"testing"
)

func TestCorpusIsDeterministicAndLargeEnough(t *testing.T) {
	p1, n1 := Generate(Seed)
	p2, n2 := Generate(Seed)
	if !reflect.DeepEqual(p1, p2) || !reflect.DeepEqual(n1, n2) {
		t.Fatal("the same seed gave two corpora")
	}
	if len(p1) < 1000 || len(n1) < 1000 {
		t.Errorf("%d positives and %d negatives, want at least 1,000 of each", len(p1), len(n1))
	}
	for _, p := range p1 {
		if p.Secret == "" || !strings.Contains(p.Line, p.Secret) {
			t.Errorf("%s/%s: secret %q not in %q", p.Kind, p.Form, p.Secret, p.Line)
		}
	}
}

// TestCheckDigits checks the generator's check-digit helpers on published examples, so
// that its positives are valid independently of the engine's validators.
func TestCheckDigits(t *testing.T) {
	digits := func(s string) []int {
		d := make([]int, len(s))
		for i, c := range s {
			d[i] = int(c - '0')
		}
		return d
	}
	if !luhnOK(digits("4111111111111111")) || !luhnOK(digits("130692544")) || luhnOK(digits("130692545")) {
		t.Error("luhn")
	}
	if !tfnOK(digits("123456782")) || tfnOK(digits("123456783")) {
		t.Error("tfn")
	}
	if got := str(cpfDigits(digits("529982247"))); got != "52998224725" {
		t.Errorf("cpf: %s", got)
	}
	if got := str(cnpjDigits(digits("112223330001"))); got != "11222333000181" {
		t.Errorf("cnpj: %s", got)
	}
	if got := verhoeffDigit(digits("23412341234")); got != 6 {
		t.Errorf("verhoeff: %d", got)
	}
	if got := dniLetters[12345678%23]; got != 'Z' {
		t.Errorf("dni: %c", got)
	}
	if got := 98 - mod97("370400440532013000"+"DE00"); got != 89 {
		t.Errorf("iban: %d", got)
	}
}
