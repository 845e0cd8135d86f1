package redact

import "strings"

// National identification and tax numbers. By value, only the shapes distinctive enough
// not to be mistaken for an order number, and only with a valid check digit or structure:
// Canada SIN (3-3-3, Luhn), Australia TFN (3-3-3 with spaces, weighted mod 11), India
// Aadhaar (4-4-4, Verhoeff), Brazil CPF (ddd.ddd.ddd-dd) and CNPJ (dd.ddd.ddd/dddd-dd),
// Spain DNI and NIE (mod-23 letter), France NIR (15 digits, mod 97), India PAN and Italy's
// codice fiscale (structure and check letter). Undistinctive forms (a Dutch BSN, an
// undashed SSN, a bare CPF) are masked under their keys (bsn, ssn, cpf…).

// shapes returns a detector for values written in one of patterns: 'd' is a digit, 'L'
// a capital letter, 'X' one of X, Y, Z (a Spanish NIE's initial), 'a' a digit or the
// letter that replaces it in an Italian codice fiscale; any other byte stands for itself.
// A candidate stands alone: no letter or digit touches it, and it does not continue a run
// of digit groups (6011 5831 0141 7015 holds no 4-4-4 Aadhaar).
func shapes(kind Kind, patterns ...string) func(string, []Span) []Span {
	return func(s string, out []Span) []Span {
		for i := 0; i < len(s); i++ {
			if i > 0 && (isAlnum(s[i-1]) || s[i-1] == '-' || s[i-1] == '.' || s[i-1] == '/') ||
				i > 1 && s[i-1] == ' ' && isDigit(s[i-2]) {
				continue
			}
			for _, p := range patterns {
				if end := i + len(p); end <= len(s) && shapeAt(s[i:end], p) && standsAlone(s, end) {
					out = append(out, Span{i, end, kind})
					i = end - 1
					break
				}
			}
		}
		return out
	}
}

func shapeAt(t, p string) bool {
	for k := 0; k < len(p); k++ {
		c := t[k]
		switch p[k] {
		case 'd':
			if !isDigit(c) {
				return false
			}
		case 'L':
			if !isUpper(c) {
				return false
			}
		case 'X':
			if c != 'X' && c != 'Y' && c != 'Z' {
				return false
			}
		case 'a':
			if !isDigit(c) && strings.IndexByte(cfOmocodia, c) < 0 {
				return false
			}
		default:
			if c != p[k] {
				return false
			}
		}
	}
	return true
}

// standsAlone reports whether a candidate ending at end is not the start of something
// longer.
func standsAlone(s string, end int) bool {
	if end == len(s) {
		return true
	}
	c := s[end]
	if isAlnum(c) {
		return false
	}
	return !((c == '-' || c == '.' || c == '/' || c == ' ') && end+1 < len(s) && isDigit(s[end+1]))
}

// digitsOf returns the digits of c, in buf.
func digitsOf(c string, buf []byte) []byte {
	for i := 0; i < len(c); i++ {
		if isDigit(c[i]) {
			buf = append(buf, c[i])
		}
	}
	return buf
}

// validSIN: a Canadian social insurance number, Luhn; 0 and 8 are not allocated first digits.
func validSIN(c string) bool {
	var buf [12]byte
	d := digitsOf(c, buf[:0])
	return len(d) == 9 && d[0] != '0' && d[0] != '8' && luhn(d)
}

func validTFN(c string) bool {
	var buf [12]byte
	return tfnValid(digitsOf(c, buf[:0]))
}

// validAadhaar: 12 digits, not starting 0 or 1, Verhoeff.
func validAadhaar(c string) bool {
	var buf [16]byte
	d := digitsOf(c, buf[:0])
	return len(d) == 12 && d[0] >= '2' && verhoeffValid(d)
}

func validCPF(c string) bool {
	var buf [16]byte
	return cpfValid(digitsOf(c, buf[:0]))
}

func validCNPJ(c string) bool {
	var buf [16]byte
	return cnpjValid(digitsOf(c, buf[:0]))
}

func validNIR(c string) bool {
	var buf [20]byte
	return nirValid(digitsOf(c, buf[:0]))
}

// validDNI checks a DNI (12345678Z, 12345678-Z) or an NIE (X1234567L), whose initial
// counts as 0, 1 or 2.
func validDNI(c string) bool {
	var buf [10]byte
	d := buf[:0]
	if c[0] == 'X' || c[0] == 'Y' || c[0] == 'Z' {
		d = append(d, '0'+c[0]-'X')
	}
	d = digitsOf(c, d)
	return len(d) == 8 && dniValid(d, c[len(c)-1])
}

// dniValid checks the mod-23 control letter of a DNI or NIE (its digits, the NIE's
// initial already replaced by 0, 1 or 2).
func dniValid(d []byte, letter byte) bool {
	n := 0
	for _, c := range d {
		n = n*10 + int(c-'0')
	}
	return "TRWAGMYFPDXBNJZSQVHLCKE"[n%23] == letter
}

// tfnValid checks an Australian tax file number: weights 1,4,3,7,5,8,6,9,10, sum mod 11.
func tfnValid(d []byte) bool {
	if len(d) != 9 {
		return false
	}
	w := [9]int{1, 4, 3, 7, 5, 8, 6, 9, 10}
	sum := 0
	for k, c := range d {
		sum += w[k] * int(c-'0')
	}
	return sum%11 == 0
}

// cpfValid checks the two check digits of a Brazilian CPF (11 digits).
func cpfValid(d []byte) bool {
	if len(d) != 11 || allSame(d) {
		return false
	}
	for _, n := range []int{9, 10} {
		sum := 0
		for k := 0; k < n; k++ {
			sum += int(d[k]-'0') * (n + 1 - k)
		}
		check := sum * 10 % 11 % 10
		if check != int(d[n]-'0') {
			return false
		}
	}
	return true
}

// cnpjValid checks the two check digits of a Brazilian CNPJ (14 digits).
func cnpjValid(d []byte) bool {
	if len(d) != 14 || allSame(d) {
		return false
	}
	w1 := []int{5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2}
	w2 := []int{6, 5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2}
	for _, w := range [][]int{w1, w2} {
		sum := 0
		for k, wk := range w {
			sum += int(d[k]-'0') * wk
		}
		check := 0
		if r := sum % 11; r >= 2 {
			check = 11 - r
		}
		if check != int(d[len(w)]-'0') {
			return false
		}
	}
	return true
}

func allSame(d []byte) bool {
	for _, c := range d {
		if c != d[0] {
			return false
		}
	}
	return true
}

// Verhoeff's dihedral-group tables, used by Aadhaar.
var (
	verhoeffD = [10][10]byte{
		{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, {1, 2, 3, 4, 0, 6, 7, 8, 9, 5}, {2, 3, 4, 0, 1, 7, 8, 9, 5, 6},
		{3, 4, 0, 1, 2, 8, 9, 5, 6, 7}, {4, 0, 1, 2, 3, 9, 5, 6, 7, 8}, {5, 9, 8, 7, 6, 0, 4, 3, 2, 1},
		{6, 5, 9, 8, 7, 1, 0, 4, 3, 2}, {7, 6, 5, 9, 8, 2, 1, 0, 4, 3}, {8, 7, 6, 5, 9, 3, 2, 1, 0, 4},
		{9, 8, 7, 6, 5, 4, 3, 2, 1, 0}}
	verhoeffP = [8][10]byte{
		{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, {1, 5, 7, 6, 2, 8, 3, 0, 9, 4}, {5, 8, 0, 3, 7, 9, 6, 1, 4, 2},
		{8, 9, 1, 6, 0, 4, 3, 5, 2, 7}, {9, 4, 5, 3, 1, 2, 6, 8, 7, 0}, {4, 2, 8, 6, 5, 7, 3, 9, 0, 1},
		{2, 7, 9, 3, 8, 0, 6, 4, 1, 5}, {7, 0, 4, 6, 9, 1, 3, 2, 5, 8}}
)

// verhoeffValid checks a number whose last digit is its Verhoeff check digit.
func verhoeffValid(d []byte) bool {
	c := byte(0)
	for k := range d {
		c = verhoeffD[c][verhoeffP[k%8][d[len(d)-1-k]-'0']]
	}
	return c == 0
}

// nirValid checks a French social security number: sex (1 or 2), a plausible month, and
// the key, 97 minus the first 13 digits mod 97 (Corsica's 2A and 2B are not digits and are
// left to the key rule).
func nirValid(d []byte) bool {
	if len(d) != 15 || d[0] != '1' && d[0] != '2' {
		return false
	}
	month := int(d[3]-'0')*10 + int(d[4]-'0')
	if month == 0 || month > 12 && month < 20 {
		return false
	}
	n := 0
	for _, c := range d[:13] {
		n = (n*10 + int(c-'0')) % 97
	}
	key := int(d[13]-'0')*10 + int(d[14]-'0')
	return key == 97-n
}

// indiaPANAt reports whether the digit at i is the last of the four digits of an Indian
// PAN (ABCPE1234F: five letters, the fourth the holder's type, four digits, a letter).
func indiaPANAt(s string, i int) bool {
	return i >= 8 && i+1 < len(s) && validIndiaPAN(s[i-8:i+2]) && boundaryBefore(s, i-8) &&
		(i+2 == len(s) || !isAlnum(s[i+2]))
}

// validIndiaPAN: five letters, the fourth the holder's type, four digits, a letter.
func validIndiaPAN(t string) bool {
	if len(t) != 10 {
		return false
	}
	for k := 0; k < 10; k++ {
		if k >= 5 && k < 9 {
			if !isDigit(t[k]) {
				return false
			}
		} else if !isUpper(t[k]) {
			return false
		}
	}
	switch t[3] {
	case 'A', 'B', 'C', 'F', 'G', 'H', 'L', 'J', 'P', 'T', 'K':
		return true
	}
	return false
}

// cfOmocodia are the letters that replace digits in a codice fiscale (omocodia).
const cfOmocodia = "LMNPQRSTUV"

// validCodiceFiscale checks the structure and the check letter of an Italian tax code:
// RSSMRA85T10A562S — surname and name letters, birth year, month letter, day (+40 for
// women), place code, check letter; digits may be replaced by letters (omocodia).
func validCodiceFiscale(t string) bool {
	if len(t) != 16 {
		return false
	}
	for k := 0; k < 16; k++ {
		c := t[k]
		switch k {
		case 6, 7, 9, 10, 12, 13, 14:
			if !isDigit(c) && (k == 6 || strings.IndexByte(cfOmocodia, c) < 0) {
				if k != 6 && k != 7 || strings.IndexByte(cfOmocodia, c) < 0 {
					return false
				}
			}
		case 8:
			if strings.IndexByte("ABCDEHLMPRST", c) < 0 {
				return false
			}
		default:
			if !isUpper(c) {
				return false
			}
		}
	}
	if !isDigit(t[6]) && !isDigit(t[7]) && !isDigit(t[9]) { // all letters: a word, not a code
		return false
	}
	return t[15] == codiceFiscaleCheck(t[:15])
}

// codiceFiscaleCheck computes the check letter of the first 15 characters.
func codiceFiscaleCheck(t string) byte {
	odd := [36]int{1, 0, 5, 7, 9, 13, 15, 17, 19, 21, // 0-9
		1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 2, 4, 18, 20, 11, 3, 6, 8, 12, 14, 16, 10, 22, 25, 24, 23} // A-Z
	sum := 0
	for k := 0; k < 15; k++ {
		c := t[k]
		v := 0
		if isDigit(c) {
			v = int(c - '0')
			if k%2 == 0 {
				v = odd[v]
			}
		} else {
			v = int(c - 'A')
			if k%2 == 0 {
				v = odd[10+v]
			}
		}
		sum += v
	}
	return byte('A' + sum%26)
}
