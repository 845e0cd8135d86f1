package corpus

import (
	"encoding/base64"
	"fmt"
	"math/rand/v2"
	"strings"
)

type gen struct{ r *rand.Rand }

const (
	lowerChars = "abcdefghijklmnopqrstuvwxyz"
	upperChars = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	digitChars = "0123456789"
	alnumChars = lowerChars + upperChars + digitChars
	hexChars   = "0123456789abcdef"
	b64Chars   = alnumChars + "+/"
	urlChars   = alnumChars + "-_"
)

func (g *gen) pick(chars string, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = chars[g.r.IntN(len(chars))]
	}
	return string(b)
}

func (g *gen) one(options ...string) string { return options[g.r.IntN(len(options))] }

func (g *gen) between(lo, hi int) int { return lo + g.r.IntN(hi-lo+1) }

// password is a secret a person or a generator would choose: letters, a capital, digits,
// maybe a symbol.
func (g *gen) password() string {
	n := g.between(10, 22)
	s := []byte(g.pick(alnumChars+"-_.!", n))
	s[g.r.IntN(n)] = upperChars[g.r.IntN(26)]
	s[g.r.IntN(n)] = digitChars[g.r.IntN(10)]
	if s[0] == '-' || s[0] == '.' || s[0] == '!' {
		s[0] = 'k'
	}
	return strings.TrimRight(string(s), ".!")
}

// digits returns n random digits, the first from first.
func (g *gen) digits(first string, n int) []int {
	d := make([]int, n)
	d[0] = int(first[g.r.IntN(len(first))] - '0')
	for i := 1; i < n; i++ {
		d[i] = g.r.IntN(10)
	}
	return d
}

func str(d []int) string {
	b := make([]byte, len(d))
	for i, x := range d {
		b[i] = byte('0' + x)
	}
	return string(b)
}

// group writes s in groups of the given sizes separated by sep.
func group(s, sep string, sizes ...int) string {
	var parts []string
	for _, n := range sizes {
		parts = append(parts, s[:n])
		s = s[n:]
	}
	if s != "" {
		parts = append(parts, s)
	}
	return strings.Join(parts, sep)
}

// Check digits, written independently of the engine's validators.

func luhnDigit(d []int) int { // the digit to append
	sum := 0
	for i := len(d) - 1; i >= 0; i-- {
		x := d[i]
		if (len(d)-1-i)%2 == 0 {
			x *= 2
			if x > 9 {
				x -= 9
			}
		}
		sum += x
	}
	return (10 - sum%10) % 10
}

func luhnOK(d []int) bool { return luhnDigit(d[:len(d)-1]) == d[len(d)-1] }

func tfnOK(d []int) bool {
	w := []int{1, 4, 3, 7, 5, 8, 6, 9, 10}
	sum := 0
	for i, x := range d {
		sum += w[i] * x
	}
	return sum%11 == 0
}

var (
	vD = [10][10]int{{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, {1, 2, 3, 4, 0, 6, 7, 8, 9, 5}, {2, 3, 4, 0, 1, 7, 8, 9, 5, 6},
		{3, 4, 0, 1, 2, 8, 9, 5, 6, 7}, {4, 0, 1, 2, 3, 9, 5, 6, 7, 8}, {5, 9, 8, 7, 6, 0, 4, 3, 2, 1},
		{6, 5, 9, 8, 7, 1, 0, 4, 3, 2}, {7, 6, 5, 9, 8, 2, 1, 0, 4, 3}, {8, 7, 6, 5, 9, 3, 2, 1, 0, 4}, {9, 8, 7, 6, 5, 4, 3, 2, 1, 0}}
	vP = [8][10]int{{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, {1, 5, 7, 6, 2, 8, 3, 0, 9, 4}, {5, 8, 0, 3, 7, 9, 6, 1, 4, 2},
		{8, 9, 1, 6, 0, 4, 3, 5, 2, 7}, {9, 4, 5, 3, 1, 2, 6, 8, 7, 0}, {4, 2, 8, 6, 5, 7, 3, 9, 0, 1},
		{2, 7, 9, 3, 8, 0, 6, 4, 1, 5}, {7, 0, 4, 6, 9, 1, 3, 2, 5, 8}}
	vInv = [10]int{0, 4, 3, 2, 1, 5, 6, 7, 8, 9}
)

func verhoeffDigit(d []int) int {
	c := 0
	for i := range d {
		c = vD[c][vP[(i+1)%8][d[len(d)-1-i]]]
	}
	return vInv[c]
}

func cpfDigits(d []int) []int {
	for _, n := range []int{9, 10} {
		sum := 0
		for i := 0; i < n; i++ {
			sum += d[i] * (n + 1 - i)
		}
		d = append(d[:n], sum*10%11%10)
	}
	return d
}

func cnpjDigits(d []int) []int {
	for _, w := range [][]int{{5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2}, {6, 5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2}} {
		sum := 0
		for i, x := range w {
			sum += d[i] * x
		}
		c := 0
		if r := sum % 11; r >= 2 {
			c = 11 - r
		}
		d = append(d[:len(w)], c)
	}
	return d
}

const dniLetters = "TRWAGMYFPDXBNJZSQVHLCKE"

func mod97(s string) int {
	n := 0
	for _, c := range s {
		if c >= 'A' && c <= 'Z' {
			n = (n*100 + int(c-'A') + 10) % 97
		} else {
			n = (n*10 + int(c-'0')) % 97
		}
	}
	return n
}

func (g *gen) iban(valid bool) string {
	country := g.one("DE", "FR", "GB", "ES", "NL", "IT", "BE")
	var bban string
	switch country {
	case "DE":
		bban = g.pick(digitChars, 18)
	case "FR":
		bban = g.pick(digitChars, 23)
	case "GB":
		bban = g.pick(upperChars, 4) + g.pick(digitChars, 14)
	case "ES":
		bban = g.pick(digitChars, 20)
	case "NL":
		bban = g.pick(upperChars, 4) + g.pick(digitChars, 10)
	case "IT":
		bban = g.pick(upperChars, 1) + g.pick(digitChars, 22)
	case "BE":
		bban = g.pick(digitChars, 12)
	}
	check := 98 - mod97(bban+country+"00")
	if !valid {
		check = (check + g.between(1, 50)) % 97
		if check < 2 {
			check += 2
		}
	}
	return fmt.Sprintf("%s%02d%s", country, check, bban)
}

func (g *gen) card(valid bool) string {
	prefix := g.one("4", "51", "52", "53", "54", "55", "2221", "2720", "34", "37", "6011", "65", "62", "3530")
	n := 16
	switch prefix {
	case "34", "37":
		n = 15
	case "4":
		n = []int{13, 16, 16, 16, 19}[g.r.IntN(5)]
	}
	d := make([]int, 0, n)
	for _, c := range prefix {
		d = append(d, int(c-'0'))
	}
	for len(d) < n-1 {
		d = append(d, g.r.IntN(10))
	}
	c := luhnDigit(d)
	if !valid {
		c = (c + g.between(1, 9)) % 10
	}
	s := str(append(d, c))
	switch g.r.IntN(3) {
	case 1:
		if n == 15 {
			return group(s, " ", 4, 6, 5)
		}
		return group(s, " ", 4, 4, 4)
	case 2:
		if n == 16 {
			return group(s, "-", 4, 4, 4)
		}
	}
	return s
}

func (g *gen) jwt() string {
	enc := base64.RawURLEncoding.EncodeToString
	head := enc([]byte(`{"alg":"` + g.one("HS256", "RS256", "ES256") + `","typ":"JWT"}`))
	body := enc([]byte(fmt.Sprintf(`{"sub":"user-%d","iat":%d,"scope":"%s"}`, g.r.IntN(99999), 1700000000+g.r.IntN(9999999), g.one("read", "write", "admin"))))
	return head + "." + body + "." + g.pick(urlChars, 43)
}

func (g *gen) codiceFiscale(valid bool) string {
	months := "ABCDEHLMPRST"
	s := g.pick("BCDFGLMNPRSTVZ", 3) + g.pick("BCDFGLMNPRSTVZ", 3) + g.pick(digitChars, 2) +
		string(months[g.r.IntN(12)]) + fmt.Sprintf("%02d", g.between(1, 71)) + g.pick("ABCDEFGHILMZ", 1) + g.pick(digitChars, 3)
	odd := []int{1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 2, 4, 18, 20, 11, 3, 6, 8, 12, 14, 16, 10, 22, 25, 24, 23}
	sum := 0
	for i, c := range s {
		v := int(c - 'A')
		if c >= '0' && c <= '9' {
			v = int(c - '0')
		}
		if i%2 == 0 {
			sum += odd[v]
		} else {
			sum += v
		}
	}
	check := sum % 26
	if !valid {
		check = (check + g.between(1, 25)) % 26
	}
	return s + string(rune('A'+check))
}
