package redact_test

// A held-out set for the detectors, written without looking at the generated corpus
// (redact/internal/corpus) or the shared one: log lines a security reviewer would expect
// to be caught, and look-alikes that must pass untouched. Identity numbers and cards are
// built here from their public check-digit rules, so every positive is valid.
//
// A positive passes when its secret no longer appears in the output; a negative passes
// when the output is the input, byte for byte. Cases the engine gets wrong today are
// listed in heldoutKnown: the test expects them to fail (so it records the figures and
// passes), and fails when one of them starts to pass, so the list only shrinks.
//
//	go test -run TestHeldOut -v ./redact/

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/resilog/resilog/redact"
)

type heldCase struct {
	kind   string
	in     string
	secret string // positives: what must be gone from the output; "" for a negative
}

// --- check digits, from the public specifications -------------------------------

func luhnDigit(body string) byte {
	sum := 0
	for i := 0; i < len(body); i++ {
		d := int(body[len(body)-1-i] - '0')
		if i%2 == 0 {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
	}
	return byte('0' + (10-sum%10)%10)
}

func withLuhn(body string) string { return body + string(luhnDigit(body)) }

func group(s string, sep string, sizes ...int) string {
	var b strings.Builder
	for i, n := range sizes {
		if i > 0 {
			b.WriteString(sep)
		}
		b.WriteString(s[:n])
		s = s[n:]
	}
	if s != "" {
		b.WriteString(sep)
		b.WriteString(s)
	}
	return b.String()
}

func ibanOf(country, bban string) string {
	num := func(s string) string {
		var b strings.Builder
		for _, c := range s {
			if c >= 'A' && c <= 'Z' {
				b.WriteString(strconv.Itoa(int(c-'A') + 10))
			} else {
				b.WriteRune(c)
			}
		}
		return b.String()
	}
	digits := num(bban + country + "00")
	rem := 0
	for _, c := range digits {
		rem = (rem*10 + int(c-'0')) % 97
	}
	return fmt.Sprintf("%s%02d%s", country, 98-rem, bban)
}

func cpfOf(base string) string {
	d := func(s string, w int) byte {
		sum := 0
		for i := range len(s) {
			sum += int(s[i]-'0') * (w - i)
		}
		r := sum * 10 % 11
		if r == 10 {
			r = 0
		}
		return byte('0' + r)
	}
	s := base + string(d(base, 10))
	return s + string(d(s, 11))
}

func cnpjOf(base string) string {
	d := func(s string, w []int) byte {
		sum := 0
		for i := range len(s) {
			sum += int(s[i]-'0') * w[i]
		}
		r := sum % 11
		if r < 2 {
			return '0'
		}
		return byte('0' + 11 - r)
	}
	s := base + string(d(base, []int{5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2}))
	return s + string(d(s, []int{6, 5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2}))
}

var (
	verD = [10][10]int{
		{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, {1, 2, 3, 4, 0, 6, 7, 8, 9, 5},
		{2, 3, 4, 0, 1, 7, 8, 9, 5, 6}, {3, 4, 0, 1, 2, 8, 9, 5, 6, 7},
		{4, 0, 1, 2, 3, 9, 5, 6, 7, 8}, {5, 9, 8, 7, 6, 0, 4, 3, 2, 1},
		{6, 5, 9, 8, 7, 1, 0, 4, 3, 2}, {7, 6, 5, 9, 8, 2, 1, 0, 4, 3},
		{8, 7, 6, 5, 9, 3, 2, 1, 0, 4}, {9, 8, 7, 6, 5, 4, 3, 2, 1, 0},
	}
	verP = [8][10]int{
		{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, {1, 5, 7, 6, 2, 8, 3, 0, 9, 4},
		{5, 8, 0, 3, 7, 9, 6, 1, 4, 2}, {8, 9, 1, 6, 0, 4, 3, 5, 2, 7},
		{9, 4, 5, 3, 1, 2, 6, 8, 7, 0}, {4, 2, 8, 6, 5, 7, 3, 9, 0, 1},
		{2, 7, 9, 3, 8, 0, 6, 4, 1, 5}, {7, 0, 4, 6, 9, 1, 3, 2, 5, 8},
	}
	verInv = [10]int{0, 4, 3, 2, 1, 5, 6, 7, 8, 9}
)

func aadhaarOf(base string) string {
	c := 0
	for i := range len(base) {
		c = verD[c][verP[(i+1)%8][int(base[len(base)-1-i]-'0')]]
	}
	return base + strconv.Itoa(verInv[c])
}

func nirOf(base string) string { // 13 digits, key = 97 - n mod 97
	n, _ := strconv.ParseUint(base, 10, 64)
	return fmt.Sprintf("%s%02d", base, 97-n%97)
}

func bsnOf(base string) string { // 8 digits; sum(d*9..2) - last == 0 mod 11
	sum := 0
	for i := range 8 {
		sum += int(base[i]-'0') * (9 - i)
	}
	last := sum % 11
	if last == 10 {
		return ""
	}
	return base + strconv.Itoa(last)
}

func dniOf(n int) string {
	return fmt.Sprintf("%08d%c", n, "TRWAGMYFPDXBNJZSQVHLCKE"[n%23])
}

func nieOf(prefix byte, n int) string {
	p := map[byte]int{'X': 0, 'Y': 1, 'Z': 2}[prefix]
	v := p*10000000 + n
	return fmt.Sprintf("%c%07d%c", prefix, n, "TRWAGMYFPDXBNJZSQVHLCKE"[v%23])
}

func tfnOf(base string) string { // 8 digits + check so that sum(w*d) % 11 == 0
	w := []int{1, 4, 3, 7, 5, 8, 6, 9, 10}
	for c := 0; c <= 9; c++ {
		s := base + strconv.Itoa(c)
		sum := 0
		for i := range 9 {
			sum += w[i] * int(s[i]-'0')
		}
		if sum%11 == 0 {
			return s
		}
	}
	return ""
}

// --- the held-out positives --------------------------------------------------------

func heldPositives() []heldCase {
	var cs []heldCase
	add := func(kind, in, secret string) { cs = append(cs, heldCase{kind, in, secret}) }

	// Cards of each brand, written as people and systems write them.
	cards := []struct{ brand, num string }{
		{"visa", withLuhn("453201511283036")},
		{"visa", withLuhn("401288888888188")},
		{"mastercard", withLuhn("545454545454545")},
		{"mastercard-2", withLuhn("222300312200322")},
		{"amex", withLuhn("37144963539843")},
		{"discover", withLuhn("601100099013942")},
		{"jcb", withLuhn("353011133330000")},
		{"diners", withLuhn("3056930902590")},
		{"unionpay", withLuhn("620000000000000")},
		{"maestro", withLuhn("675964982643845")},
	}
	for i, c := range cards {
		n := c.num
		var spaced, dashed string
		switch len(n) {
		case 15:
			spaced, dashed = group(n, " ", 4, 6), group(n, "-", 4, 6)
		case 14:
			spaced, dashed = group(n, " ", 4, 6), group(n, "-", 4, 6)
		default:
			spaced, dashed = group(n, " ", 4, 4, 4), group(n, "-", 4, 4, 4)
		}
		switch i % 5 {
		case 0:
			add("card/"+c.brand, "payment declined card="+n+" reason=insufficient_funds", n)
		case 1:
			add("card/"+c.brand, `{"level":"error","msg":"charge failed","pan":"`+spaced+`"}`, spaced)
		case 2:
			add("card/"+c.brand, "customer read their card over the phone: "+dashed+".", dashed)
		case 3:
			add("card/"+c.brand, "ERROR: duplicate key value violates unique constraint \"cards_pkey\"\nDETAIL: Key (number)=("+n+") already exists.", n)
		case 4:
			add("card/"+c.brand, "«"+spaced+"»", spaced)
		}
		add("card/"+c.brand, dashed+" was tokenized", dashed)
	}
	add("card/amex", "amex on file 3782 822463 10005 exp 04/29", "3782 822463 10005")
	add("card/visa", "card:\n  number: 4111-1111-1111-1111\n  holder: J DOE", "4111-1111-1111-1111")
	add("card/visa", "PAN\t4012888888881881\tAPPROVED", "4012888888881881")
	add("card/mastercard", "line1 ends with card 5105 1051 0510 5100", "5105 1051 0510 5100")
	add("cvv", "card_cvc=737 exp=03/30", "737")
	add("cvv", `{"billing_cvv2":"4321"}`, "4321")

	// IBANs, compact and in the printed groups of four.
	ibans := []struct{ c, bban string }{
		{"DE", "370400440532013000"}, {"GB", "NWBK60161331926819"}, {"FR", "20041010050500013M02606"},
		{"NL", "ABNA0417164300"}, {"ES", "21000418450200051332"}, {"IT", "X0542811101000000123456"},
		{"BE", "539007547034"}, {"CH", "00762011623852957"}, {"PL", "109010140000071219812874"},
		{"AT", "1904300234573201"},
	}
	for i, ib := range ibans {
		iban := ibanOf(ib.c, strings.ReplaceAll(ib.bban, " ", ""))
		var parts []string
		for rest := iban; rest != ""; {
			n := min(4, len(rest))
			parts = append(parts, rest[:n])
			rest = rest[n:]
		}
		printed := strings.Join(parts, " ")
		switch i % 4 {
		case 0:
			add("iban", "SEPA transfer to "+iban+" scheduled", iban)
		case 1:
			add("iban", "beneficiary_account="+printed, printed)
		case 2:
			add("iban", `{"debtor":{"iban":"`+iban+`"}}`, iban)
		case 3:
			add("iban", "IBAN: "+printed+"\n", printed)
		}
	}

	// Government identifiers with valid checksums.
	add("ssn", "applicant ssn 536-22-1847 verified", "536-22-1847")
	add("ssn", `{"customer_ssn":"536221847"}`, "536221847")
	add("ssn", "SSN:\t078-05-1121", "078-05-1121")
	add("ssn", "social_security_number=412 53 7781", "412 53 7781")
	sin := withLuhn("04645428")
	add("sin", "Canadian SIN "+group(sin, " ", 3, 3)+" on file", group(sin, " ", 3, 3))
	add("sin", "sin="+sin, sin)
	add("nino", "NI number JG103759A for payroll", "JG103759A")
	add("nino", "nino: AB 12 34 56 C", "AB 12 34 56 C")
	add("dni", "DNI "+dniOf(12345678)+" no coincide", dniOf(12345678))
	add("dni", `{"dni":"`+dniOf(48291736)+`"}`, dniOf(48291736))
	add("dni", "NIE: "+nieOf('X', 1234567), nieOf('X', 1234567))
	add("dni", "documento="+nieOf('Y', 7654321)+";", nieOf('Y', 7654321))
	cpf := cpfOf("529982247")
	add("cpf", "CPF "+cpf[:3]+"."+cpf[3:6]+"."+cpf[6:9]+"-"+cpf[9:]+" inválido", cpf[:3]+"."+cpf[3:6]+"."+cpf[6:9]+"-"+cpf[9:])
	add("cpf", "cpf="+cpfOf("111444777"), cpfOf("111444777"))
	cnpj := cnpjOf("112223330001")
	add("cnpj", "CNPJ "+cnpj[:2]+"."+cnpj[2:5]+"."+cnpj[5:8]+"/"+cnpj[8:12]+"-"+cnpj[12:]+" cadastrado", cnpj[:2]+"."+cnpj[2:5]+"."+cnpj[5:8]+"/"+cnpj[8:12]+"-"+cnpj[12:])
	add("cnpj", `cnpj: "`+cnpjOf("453236780001")+`"`, cnpjOf("453236780001"))
	ad := aadhaarOf("23412341234")
	add("aadhaar", "Aadhaar "+group(ad, " ", 4, 4)+" linked", group(ad, " ", 4, 4))
	add("aadhaar", "aadhaar="+aadhaarOf("49876543210"), aadhaarOf("49876543210"))
	add("india_pan", "PAN ABCPE1234F mismatch with name", "ABCPE1234F")
	add("india_pan", `{"pan_number":"BNZPM2501F"}`, "BNZPM2501F")
	nir := nirOf("2841275115423")
	add("nir", "numéro de sécurité sociale "+nir, nir)
	add("nir", "NIR: "+nir[:1]+" "+nir[1:3]+" "+nir[3:5]+" "+nir[5:7]+" "+nir[7:10]+" "+nir[10:13]+" "+nir[13:], nir[:1]+" "+nir[1:3]+" "+nir[3:5]+" "+nir[5:7]+" "+nir[7:10]+" "+nir[10:13]+" "+nir[13:])
	add("bsn", "BSN "+bsnOf("11122233")+" onbekend", bsnOf("11122233"))
	add("bsn", "burgerservicenummer="+bsnOf("23456781"), bsnOf("23456781"))
	add("codice_fiscale", "codice fiscale RSSMRA85T10A562S non valido", "RSSMRA85T10A562S")
	add("codice_fiscale", `{"codice_fiscale":"BNCGVN70A01H501Z"}`, "BNCGVN70A01H501Z")
	tfn := tfnOf("12345678")
	add("tfn", "TFN "+group(tfn, " ", 3, 3)+" lodged", group(tfn, " ", 3, 3))
	add("tfn", "tax_file_number="+tfnOf("87654321"), tfnOf("87654321"))
	add("ssn", "ssn: 536 22 1847", "22 1847")
	add("sin", "sin: 046 454 286", "454 286")
	add("bsn", "bsn: 111 222 333", "222 333")
	add("national_id", "national_id: 12 34 56 78", "34 56 78")
	add("national_id", "national_id=X99-4471-Q", "X99-4471-Q")
	add("national_id", `{"tax_id":"TX-0091-2231"}`, "TX-0091-2231")

	// Vendor tokens (made-up bodies in the vendors' published shapes).
	add("aws_key", "using credentials AKIAZ7Q4XW2MLT9RBV3N for s3", "AKIAZ7Q4XW2MLT9RBV3N")
	add("aws_key", "AWS_ACCESS_KEY_ID=ASIAQ3HN7XK2PL5RZW8M", "ASIAQ3HN7XK2PL5RZW8M")
	add("aws_key", "aws_secret_access_key = k9Xw2LmQp4Rt7Vb1Nc8Zs5Hj3Gf6Dy0Ae2Uo4Ii7", "k9Xw2LmQp4Rt7Vb1Nc8Zs5Hj3Gf6Dy0Ae2Uo4Ii7")
	add("aws_key", "[default]\naws_access_key_id = AKIA2E0A8F3B244C9986\naws_secret_access_key = Tr9pQ0vV8mWlFzS2xNa7cK1yHe3uJd5bLo6gRi4t", "Tr9pQ0vV8mWlFzS2xNa7cK1yHe3uJd5bLo6gRi4t")
	add("github_token", "git clone https://ghp_R8nVt2Qx7LmZ4pW9sK3hY6bD1fJ0cA5eG8uT@github.com/acme/app", "ghp_R8nVt2Qx7LmZ4pW9sK3hY6bD1fJ0cA5eG8uT")
	add("github_token", "GITHUB_TOKEN=gho_16C7e42F292c6912E7710c838347Ae178B4a", "gho_16C7e42F292c6912E7710c838347Ae178B4a")
	add("github_token", "token github_pat_11ABCDEFG0aBcDeFgHiJkL_MnOpQrStUvWxYz0123456789AbCdEfGhIjKlMnOpQrStUvWxYz01 rejected", "github_pat_11ABCDEFG0aBcDeFgHiJkL_MnOpQrStUvWxYz0123456789AbCdEfGhIjKlMnOpQrStUvWxYz01")
	add("github_token", "(ghs_Vq3Lm8Xr2Tn7Wp4Kz9Hs6Bd1Fj5Cy0Ae3Gu8)", "ghs_Vq3Lm8Xr2Tn7Wp4Kz9Hs6Bd1Fj5Cy0Ae3Gu8")
	add("gitlab_token", "remote: HTTP Basic: Access denied, token glpat-xR4n8Tq2Lm9Vw3Ks7Zp1 expired", "glpat-xR4n8Tq2Lm9Vw3Ks7Zp1")
	add("slack_token", "slack client init xoxb-2048173659-4096318275064-Qw8Rt2Yp5Ls9Kd3Fg7Hj1Zx4 ok", "xoxb-2048173659-4096318275064-Qw8Rt2Yp5Ls9Kd3Fg7Hj1Zx4")
	add("slack_token", "SLACK_USER_TOKEN=xoxp-1234567890-1234567890-1234567890123-0a1b2c3d4e5f60718293a4b5c6d7e8f9", "xoxp-1234567890-1234567890-1234567890123-0a1b2c3d4e5f60718293a4b5c6d7e8f9")
	add("slack_webhook", "POST https://hooks.slack.com/services/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 returned 404", "p9QwErTy2UiOpAsDfGhJkLzX")
	add("stripe_key", "Stripe::AuthenticationError: Invalid API Key provided: sk_live_51Hx8RtK2Lm9Vw3Qp7Zs4Nd1Fj6", "sk_live_51Hx8RtK2Lm9Vw3Qp7Zs4Nd1Fj6")
	add("stripe_key", "STRIPE_KEY='rk_live_4eC39HqLyjWDarjtT1zdp7dc'", "rk_live_4eC39HqLyjWDarjtT1zdp7dc")
	add("stripe_key", "webhook secret whsec_5Tn8Qw2Lx7Rv4Kp9Zm3Hs6Bd1Fj0Cy5A loaded", "whsec_5Tn8Qw2Lx7Rv4Kp9Zm3Hs6Bd1Fj0Cy5A")
	add("openai_key", "openai.AuthenticationError: Incorrect API key provided: sk-proj-Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4zAb7cDe0fGh3iJk6lMn9o", "sk-proj-Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4zAb7cDe0fGh3iJk6lMn9o")
	add("openai_key", "OPENAI_API_KEY=sk-Zx9Cv8Bn7Mm6Ll5Kk4Jj3Hh2Gg1Ff0Dd9Ss8Aa7Qq6Ww5Ee4R", "sk-Zx9Cv8Bn7Mm6Ll5Kk4Jj3Hh2Gg1Ff0Dd9Ss8Aa7Qq6Ww5Ee4R")
	add("anthropic_key", "x-api-key: sk-ant-api03-Qm7Lx2Rt9Vn4Kp8Zw3Hs6Bd1Fj5Cy0Ae3Gu8Io2Pa7Sd4Fg9Hj1Kl6Zx3Cv8Bn5Mq2We7Rt4Yu9Io0PaSdFgHjKlZx-AbCdEfAA", "sk-ant-api03-Qm7Lx2Rt9Vn4Kp8Zw3Hs6Bd1Fj5Cy0Ae3Gu8Io2Pa7Sd4Fg9Hj1Kl6Zx3Cv8Bn5Mq2We7Rt4Yu9Io0PaSdFgHjKlZx-AbCdEfAA")
	add("google_api_key", "GET https://maps.googleapis.com/maps/api/geocode/json?address=x&key=AIzaSyD8Qw2Lx7Rv4Kp9Zm3Hs6Bd1Fj0Cy5Ae3G", "AIzaSyD8Qw2Lx7Rv4Kp9Zm3Hs6Bd1Fj0Cy5Ae3G")
	add("vault_token", "X-Vault-Token: hvs.CAESIJ7Qm2Lx9Rt4Vn8Kp3Zw6Hs1Bd5Fj0Cy3Ae7Gu2", "hvs.CAESIJ7Qm2Lx9Rt4Vn8Kp3Zw6Hs1Bd5Fj0Cy3Ae7Gu2")
	add("npm_token", "//registry.npmjs.org/:_authToken=npm_Qm7Lx2Rt9Vn4Kp8Zw3Hs6Bd1Fj5Cy0Ae3Gu8", "npm_Qm7Lx2Rt9Vn4Kp8Zw3Hs6Bd1Fj5Cy0Ae3Gu8")
	add("pypi_token", "twine upload -u __token__ -p pypi-AgEIcHlwaS5vcmcCJGE4ZjM5YzQ1LWI2ZDctNDBmNS1hMzE3LTk1ZmI2Y2U3NGRhZAACKlszLCJiOWU1In1dAAAGIC0xN2VhNjYxOGRhOGQ2YWJmNmI1MzI", "pypi-AgEIcHlwaS5vcmcCJGE4ZjM5YzQ1LWI2ZDctNDBmNS1hMzE3LTk1ZmI2Y2U3NGRhZAACKlszLCJiOWU1In1dAAAGIC0xN2VhNjYxOGRhOGQ2YWJmNmI1MzI")
	add("sendgrid_key", "sendgrid: 401 with key SG.Qm7Lx2Rt9Vn4Kp8Zw3Hs6B.d1Fj5Cy0Ae3Gu8Io2Pa7Sd4Fg9Hj1Kl6Zx3Cv8Bn5Mq2", "SG.Qm7Lx2Rt9Vn4Kp8Zw3Hs6B.d1Fj5Cy0Ae3Gu8Io2Pa7Sd4Fg9Hj1Kl6Zx3Cv8Bn5Mq2")
	add("shopify_token", "X-Shopify-Access-Token: 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", "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")
	add("shopify_token", "app secret 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", "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")
	add("digitalocean_token", "doctl auth init -t dop_v1_8f3a6c1e9b4d7f2a5c8e1b4d7f0a3c6e9b2d5f8a1c4e7b0d3f6a9c2e5b8d1f4a", "dop_v1_8f3a6c1e9b4d7f2a5c8e1b4d7f0a3c6e9b2d5f8a1c4e7b0d3f6a9c2e5b8d1f4a")
	add("huggingface_token", "huggingface-cli login --token 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", "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")
	add("databricks_token", "DATABRICKS_TOKEN=dapi4f8a2c9e1b7d3f6a0c5e8b2d9f1a7c3e", "dapi4f8a2c9e1b7d3f6a0c5e8b2d9f1a7c3e")
	add("doppler_token", "DOPPLER_TOKEN=dp.st.prd.Qm7Lx2Rt9Vn4Kp8Zw3Hs6Bd1Fj5Cy0Ae3Gu8Io2Pa7Sd4", "dp.st.prd.Qm7Lx2Rt9Vn4Kp8Zw3Hs6Bd1Fj5Cy0Ae3Gu8Io2Pa7Sd4")
	add("linear_key", "linear client: lin_api_Qm7Lx2Rt9Vn4Kp8Zw3Hs6Bd1Fj5Cy0Ae3Gu8Io2P", "lin_api_Qm7Lx2Rt9Vn4Kp8Zw3Hs6Bd1Fj5Cy0Ae3Gu8Io2P")
	add("atlassian_token", "jira auth with ATATT3xFfGF0Qm7Lx2Rt9Vn4Kp8Zw3Hs6Bd1Fj5Cy0Ae3Gu8Io2Pa7Sd4Fg9Hj1Kl6Zx3Cv8Bn5Mq2We7Rt4Yu9Io0PaSdFgHjKlZxCvBnMqWeRtYuIoPaSdFgHjKlZxCvBnMqWeRtYuIoPaSdFgHjKlZxCvBnMqWeRtYuIoPaSdFgHjKlZxCvB=1A2B3C4D failed", "ATATT3xFfGF0Qm7Lx2Rt9Vn4Kp8Zw3Hs6Bd1Fj5Cy0Ae3Gu8Io2Pa7Sd4Fg9Hj1Kl6Zx3Cv8Bn5Mq2We7Rt4Yu9Io0PaSdFgHjKlZxCvBnMqWeRtYuIoPaSdFgHjKlZxCvBnMqWeRtYuIoPaSdFgHjKlZxCvBnMqWeRtYuIoPaSdFgHjKlZxCvB=1A2B3C4D")
	add("postman_key", "newman run --postman-api-key PMAK-64a1b2c3d4e5f60718293a4b-0a1b2c3d4e5f60718293a4b5c6d7e8f9a0", "PMAK-64a1b2c3d4e5f60718293a4b-0a1b2c3d4e5f60718293a4b5c6d7e8f9a0")
	add("grafana_token", "GF_TOKEN=glsa_Qm7Lx2Rt9Vn4Kp8Zw3Hs6Bd1Fj5Cy0Ae3_4f8a2c9e", "glsa_Qm7Lx2Rt9Vn4Kp8Zw3Hs6Bd1Fj5Cy0Ae3_4f8a2c9e")
	add("grafana_token", "cloud token glc_eyJvIjoiMTIzNDU2IiwibiI6InN0YWNrLTEyMyIsImsiOiJBYkNkRWZHaElqS2xNbk9wIiwibSI6eyJyIjoidXMifX0= rejected", "glc_eyJvIjoiMTIzNDU2IiwibiI6InN0YWNrLTEyMyIsImsiOiJBYkNkRWZHaElqS2xNbk9wIiwibSI6eyJyIjoidXMifX0=")
	add("sentry_token", "SENTRY_AUTH_TOKEN=sntrys_eyJpYXQiOjE3MDAwMDAwMDAsInVybCI6Imh0dHBzOi8vc2VudHJ5LmlvIiwicmVnaW9uX3VybCI6Imh0dHBzOi8vdXMuc2VudHJ5LmlvIiwib3JnIjoiYWNtZSJ9_Qm7Lx2Rt9Vn4Kp8Zw3Hs6Bd1Fj5Cy0Ae3Gu8Io2Pa7", "sntrys_eyJpYXQiOjE3MDAwMDAwMDAsInVybCI6Imh0dHBzOi8vc2VudHJ5LmlvIiwicmVnaW9uX3VybCI6Imh0dHBzOi8vdXMuc2VudHJ5LmlvIiwib3JnIjoiYWNtZSJ9_Qm7Lx2Rt9Vn4Kp8Zw3Hs6Bd1Fj5Cy0Ae3Gu8Io2Pa7")
	add("sentry_token", "sentry-cli --auth-token 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", "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")
	add("newrelic_key", "Api-Key: NRAK-QM7LX2RT9VN4KP8ZW3HS6BD1FJ5", "NRAK-QM7LX2RT9VN4KP8ZW3HS6BD1FJ5")
	add("newrelic_key", "license NRII-Qm7Lx2Rt9Vn4Kp8Zw3Hs6Bd1Fj5Cy0Ae invalid", "NRII-Qm7Lx2Rt9Vn4Kp8Zw3Hs6Bd1Fj5Cy0Ae")
	add("twilio_key", "twilio api key SK4f8a2c9e1b7d3f6a0c5e8b2d9f1a7c3e created", "SK4f8a2c9e1b7d3f6a0c5e8b2d9f1a7c3e")
	add("mailgun_key", "mailgun: Forbidden for api:key-4f8a2c9e1b7d3f6a0c5e8b2d9f1a7c3e", "key-4f8a2c9e1b7d3f6a0c5e8b2d9f1a7c3e")
	add("square_token", "SQUARE_ACCESS_TOKEN=EAAAEQm7Lx2Rt9Vn4Kp8Zw3Hs6Bd1Fj5Cy0Ae3Gu8Io2Pa7Sd4Fg9Hj1Kl6Zx3Cv8Bn5", "EAAAEQm7Lx2Rt9Vn4Kp8Zw3Hs6Bd1Fj5Cy0Ae3Gu8Io2Pa7Sd4Fg9Hj1Kl6Zx3Cv8Bn5")
	add("square_token", "oauth secret sq0csp-Qm7Lx2Rt9Vn4Kp8Zw3Hs6Bd1Fj5Cy0Ae3Gu8Io2Pa7S", "sq0csp-Qm7Lx2Rt9Vn4Kp8Zw3Hs6Bd1Fj5Cy0Ae3Gu8Io2Pa7S")
	add("heroku_key", "HEROKU_API_KEY=HRKU-Qm7Lx2Rt9Vn4Kp8Zw3Hs6Bd1Fj5Cy0Ae3Gu8Io2Pa7Sd4Fg9Hj1Kl6Zx3Cv", "HRKU-Qm7Lx2Rt9Vn4Kp8Zw3Hs6Bd1Fj5Cy0Ae3Gu8Io2Pa7Sd4Fg9Hj1Kl6Zx3Cv")
	add("heroku_key", "heroku auth: 01234567-89ab-cdef-0123-456789abcdef under HEROKU_API_KEY=01234567-89ab-cdef-0123-456789abcdef", "HEROKU_API_KEY=01234567-89ab-cdef-0123-456789abcdef")
	add("discord_token", "discord gateway login with MTE4NjQ3MjM0NTY3ODkwMTIzNA.GqX7bT.Qm7Lx2Rt9Vn4Kp8Zw3Hs6Bd1Fj5Cy0Ae3Gu8Io", "MTE4NjQ3MjM0NTY3ODkwMTIzNA.GqX7bT.Qm7Lx2Rt9Vn4Kp8Zw3Hs6Bd1Fj5Cy0Ae3Gu8Io")
	add("telegram_token", "GET https://api.telegram.org/bot7123456789:AAHq3Lm8Xr2Tn7Wp4Kz9Hs6Bd1Fj5Cy0Ae3/getUpdates 409", "AAHq3Lm8Xr2Tn7Wp4Kz9Hs6Bd1Fj5Cy0Ae3")
	add("google_oauth_secret", `{"installed":{"client_id":"123-abc.apps.googleusercontent.com","client_secret":"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"}}`, "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")
	add("google_oauth_secret", "client secret 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 rotated", "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")
	add("gcp_private_key_id", `{"type":"service_account","project_id":"p","private_key_id":"4f8a2c9e1b7d3f6a0c5e8b2d9f1a7c3e4f8a2c9e"}`, "4f8a2c9e1b7d3f6a0c5e8b2d9f1a7c3e4f8a2c9e")

	// JWTs and PEM private keys.
	jwt := "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiI0MjQyIiwibmFtZSI6IkphbmUiLCJpYXQiOjE3MDAwMDAwMDB9.4Hb0mNc6kGQ8lHn4y7u7zYc2mP0yQqFf3s1vX9aR2dE"
	add("jwt", "Authorization: Bearer "+jwt, jwt)
	add("jwt", "token expired: "+jwt+"\n", jwt)
	add("jwt", `{"id_token":"`+jwt+`"}`, jwt)
	add("jwt", "https://app.example.com/callback#access_token="+jwt+"&state=xyz", jwt)
	add("jwt", "cookie session="+jwt+"; Path=/", jwt)
	pemBody := "MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun\nVTLw7onLRnrq0/IzW7yWR7QkrmBL7jTKEn5u+qKhbwKfBstIs+bMY2Zkp18gnTxK\nLxoS2tFczGkPLPgizskuemMghRniWaoLcyehkd3qqGElvW/VDL5AaWTg0nLVkjRo"
	add("private_key", "-----BEGIN RSA PRIVATE KEY-----\n"+pemBody+"\n-----END RSA PRIVATE KEY-----", pemBody[:40])
	add("private_key", "loaded key:\n-----BEGIN PRIVATE KEY-----\n"+pemBody+"\n-----END PRIVATE KEY-----\ncontinuing", pemBody[:40])
	add("private_key", `{"private_key":"-----BEGIN PRIVATE KEY-----\n`+strings.ReplaceAll(pemBody, "\n", `\n`)+`\n-----END PRIVATE KEY-----\n"}`, pemBody[:40])
	add("private_key", "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\nQyNTUxOQAAACDk7n0WmWfbq4R2d6Y9Vx4kZ3kP3H4Vh2j0kV8Q5x3pZQAAAJhn1m5sZ9Zu\n-----END OPENSSH PRIVATE KEY-----", "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW")
	add("private_key", "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIIrYSSNQFaA2Hwf1duRSxKtLYX5CB04fSeQ6tF1aY/PuoAoGCCqGSM49\n-----END EC PRIVATE KEY-----", "MHcCAQEEIIrYSSNQFaA2Hwf1duRSxKtLYX5CB04fSeQ6tF1aY/PuoAoGCCqGSM49")
	add("private_key", "-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIFHDBOBgkqhkiG9w0BBQ0wQTApBgkqhkiG9w0BBQwwHAQIc2NhbmRpbmF2aWEC\n-----END ENCRYPTED PRIVATE KEY-----", "MIIFHDBOBgkqhkiG9w0BBQ0wQTApBgkqhkiG9w0BBQwwHAQIc2NhbmRpbmF2aWEC")

	// URLs with credentials, DSNs, Authorization schemes.
	add("url_password", "dial postgres://app:S3cr3t!pw@db.internal:5432/orders failed", "S3cr3t!pw")
	add("url_password", "redis://:Kx9mQ2vLz@cache:6379/0", "Kx9mQ2vLz")
	add("url_password", "amqp://guest:r4bb1tMQ@mq.local/%2f connection refused", "r4bb1tMQ")
	add("url_password", "mongodb+srv://svc:Pa%24%24w0rd@cluster0.ab1cd.mongodb.net/test", "Pa%24%24w0rd")
	add("url_password", "Error 1045: Access denied; dsn=svc:Tr0ub4dor&3@tcp(10.0.0.5:3306)/shop?parseTime=true", "Tr0ub4dor&3")
	add("url_password", `Get "https://deploy:gh0stRider9@artifacts.example.com/v2/": EOF`, "gh0stRider9")
	add("url_password", "proxy=http://bob:hunter2x@proxy.corp:3128", "hunter2x")
	add("url_password", "jdbc:postgresql://db:5432/app?user=app&password=Wint3rIsC0ming", "Wint3rIsC0ming")
	add("url_password", "Server=tcp:sql.example.net,1433;Database=app;User ID=sa;Password=Sup3r$ecret;Encrypt=true", "Sup3r$ecret")
	add("authorization", "Authorization: Basic YWxhZGRpbjpvcGVuc2VzYW1l", "YWxhZGRpbjpvcGVuc2VzYW1l")
	add("authorization", "> authorization: Bearer 7f3a9c2e1b8d4f6a0c5e", "7f3a9c2e1b8d4f6a0c5e")
	add("authorization", "Authorization: Token 9944b09199c62bcf9418ad846dd0e4bbdfc6ee4b", "9944b09199c62bcf9418ad846dd0e4bbdfc6ee4b")
	add("authorization", "Authorization: Negotiate YIIGhgYGKwYBBQUCoIIGejCCBnagMDAuBgkqhkiC9xIBAgIGCSqGSIb3EgECAgYKKwYBBAGCNwICHg", "YIIGhgYGKwYBBQUCoIIGejCCBnagMDAuBgkqhkiC9xIBAgIGCSqGSIb3EgECAgYKKwYBBAGCNwICHg")
	add("authorization", "Authorization: ApiKey ZGVtbzpxd2VydHkxMjM0NTY=", "ZGVtbzpxd2VydHkxMjM0NTY=")
	add("authorization", "Authorization: SSWS 00QCjAl4MlV-WPXM2HZ2wmD5TZ1Vv8mn1dbm8ycv", "00QCjAl4MlV-WPXM2HZ2wmD5TZ1Vv8mn1dbm8ycv")
	add("authorization", "Authorization: Splunk 6e1c2a8b-3f4d-4c9e-9b7a-1d2e3f4a5b6c", "6e1c2a8b-3f4d-4c9e-9b7a-1d2e3f4a5b6c")
	add("authorization", "Authorization: Digest username=\"bob\", realm=\"api\", nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\", response=\"6629fae49393a05397450978507c4ef1\"", "6629fae49393a05397450978507c4ef1")
	add("authorization", "Authorization: AWS4-HMAC-SHA256 Credential=AKIAZ7Q4XW2MLT9RBV3N/20240101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=fe5f80f77d5fa3beca038a248ff027d0445342fe2855ddc963176630326f1024", "fe5f80f77d5fa3beca038a248ff027d0445342fe2855ddc963176630326f1024")
	add("authorization", "Proxy-Authorization: Basic Ym9iOmh1bnRlcjJ4", "Ym9iOmh1bnRlcjJ4")
	add("authorization", `headers={"Authorization": "Bearer 1a2b3c4d5e6f7a8b9c0d"}`, "1a2b3c4d5e6f7a8b9c0d")
	add("authorization", "curl -H 'Authorization: token 0f1e2d3c4b5a69788796a5b4c3d2e1f0a9b8c7d6' https://api", "0f1e2d3c4b5a69788796a5b4c3d2e1f0a9b8c7d6")
	add("cookie", "Cookie: _ga=GA1.1; sessionid=8f14e45fceea167a5a36dedd4bea2543; csrftoken=abc", "8f14e45fceea167a5a36dedd4bea2543")
	add("cookie", "Set-Cookie: JSESSIONID=A1B2C3D4E5F60718293A4B5C6D7E8F90; Path=/; HttpOnly", "A1B2C3D4E5F60718293A4B5C6D7E8F90")
	add("query", "GET /download?file=report.pdf&X-Amz-Signature=fe5f80f77d5fa3beca038a248ff027d0445342fe2855ddc963176630326f1024 200", "fe5f80f77d5fa3beca038a248ff027d0445342fe2855ddc963176630326f1024")
	add("query", "https://acct.blob.core.windows.net/c/b.txt?sv=2022-11-02&se=2025-01-01&sig=Qm7Lx2Rt9Vn4Kp8Zw3Hs6Bd1Fj5Cy0Ae3Gu8Io2Pa7%3D", "Qm7Lx2Rt9Vn4Kp8Zw3Hs6Bd1Fj5Cy0Ae3Gu8Io2Pa7%3D")
	add("query", "redirect to /reset?token=9c1f7e2a4b8d3f6a&email_sent=1", "9c1f7e2a4b8d3f6a")
	add("query", "ws://rt.example.com/socket?access_token=tk_9a8b7c6d5e4f3a2b1c0d", "tk_9a8b7c6d5e4f3a2b1c0d")
	add("query", "callback?code=4/0AX4XfWh9Q2Lx7Rv4Kp9Zm3Hs6&client_secret=Xq7Wm2Lp9Rt4Vn8K", "Xq7Wm2Lp9Rt4Vn8K")

	// Secret key=value in every text form.
	add("kv", "login failed password=Tr0ub4dor&3 ip=10.1.2.3", "Tr0ub4dor&3")
	add("kv", "password = correcthorse", "correcthorse")
	add("kv", "the password is hunter42", "hunter42")
	add("kv", "password:\tletmein99", "letmein99")
	add("kv", "password\tletmein98", "letmein98")
	add("kv", "パスワード：x · password：Mölkky2024", "Mölkky2024")
	add("kv", "password:\n  S3cretOnNextLine", "S3cretOnNextLine")
	add("kv", "<password>Xml$ecret1</password>", "Xml$ecret1")
	add("kv", `<add key="ApiKey" value="9f8e7d6c5b4a39281706"/>`, "9f8e7d6c5b4a39281706")
	add("kv", `msg="{\"user\":\"bob\",\"password\":\"esc4ped!\"}"`, "esc4ped!")
	add("kv", `level=info msg="retry" api_key="k-7Qm2Lx9Rt4Vn8Kp3"`, "k-7Qm2Lx9Rt4Vn8Kp3")
	add("kv", "DB_PASSWORD=zaq1@WSX", "zaq1@WSX")
	add("kv", "export GITLAB_SECRET='x9v8b7n6m5'", "x9v8b7n6m5")
	add("kv", "STRIPE_WEBHOOK_SECRET=abcDEF123456ghiJKL", "abcDEF123456ghiJKL")
	add("kv", "client_secret: 3f9a2b7c1d8e4f60\n", "3f9a2b7c1d8e4f60")
	add("kv", "database:\n  host: db\n  password: \"yamlP4ss!\"\n", "yamlP4ss!")
	add("kv", "[smtp]\nuser = mailer\npass = iniP4ssw0rd\n", "iniP4ssw0rd")
	add("kv", "passwd=qwerty123", "qwerty123")
	add("kv", "password: correct horse battery", "horse battery")
	add("kv", "pwd: Spring2024!", "Spring2024!")
	add("kv", "pw=Lk92mQ7x", "Lk92mQ7x")
	add("kv", "passcode=88421937", "88421937")
	add("kv", "passphrase=\"correct horse battery staple\"", "correct horse battery staple")
	add("kv", "passwords=[alpha123, beta456]", "alpha123")
	add("kv", "secrets=s3cr3tV4lue", "s3cr3tV4lue")
	add("kv", "api_keys=ak_91k2j3h4g5f6", "ak_91k2j3h4g5f6")
	add("kv", "tokens=tkn_5f4e3d2c1b0a", "tkn_5f4e3d2c1b0a")
	add("kv", "password_hash=$2b$12$KIXQJ1Y0vOqZ7k8r8q6y8eXl8u1Q2w3e4r5t6y7u8i9o0p1a2s3d4", "$2b$12$KIXQJ1Y0vOqZ7k8r8q6y8eXl8u1Q2w3e4r5t6y7u8i9o0p1a2s3d4")
	add("kv", "signature=MEUCIQDr7Qm2Lx9Rt4Vn8Kp3Zw6Hs1Bd5Fj0Cy3Ae7Gu2", "MEUCIQDr7Qm2Lx9Rt4Vn8Kp3Zw6Hs1Bd5Fj0Cy3Ae7Gu2")
	add("kv", "Authentication: 5f4dcc3b5aa765d61d8327deb882cf99", "5f4dcc3b5aa765d61d8327deb882cf99")
	add("kv", "X-Auth-Token: a1b2c3d4e5f6a7b8c9d0", "a1b2c3d4e5f6a7b8c9d0")
	add("kv", "Ocp-Apim-Subscription-Key: 0123456789abcdef0123456789abcdef", "0123456789abcdef0123456789abcdef")
	add("kv", "X-API-Key: live_8d7c6b5a4f3e2d1c", "live_8d7c6b5a4f3e2d1c")
	add("kv", "private_token=xK9mW2qL7vR4", "xK9mW2qL7vR4")
	add("kv", "refresh_token=1//0gQm7Lx2Rt9Vn4Kp8Zw3Hs6", "1//0gQm7Lx2Rt9Vn4Kp8Zw3Hs6")
	add("kv", "password=****hunter2", "hunter2")
	add("kv", "password=[REDACTED]hunter3", "hunter3")
	add("kv", "password=\"\"hunter4", "hunter4")
	add("kv", "user.password=h0neyBadg3r", "h0neyBadg3r")
	add("kv", "(password=Parenth3sis)", "Parenth3sis")
	add("kv", "password='quoted secret with spaces'", "quoted secret with spaces")
	add("kv", "password=\u00e9t\u00e9Secr\u00e8t", "\u00e9t\u00e9Secr\u00e8t")
	add("kv", "PASSWORD=ALLCAPSPW1", "ALLCAPSPW1")
	add("kv", "auth_token:  6f1e2d3c4b5a", "6f1e2d3c4b5a")
	add("kv", "panic: connect: password authentication failed for user \"app\" (password=\"pgP4ss\")\n\ngoroutine 1 [running]:\nmain.main()\n\t/app/main.go:12 +0x1d", "pgP4ss")
	add("kv", "Traceback (most recent call last):\n  File \"app.py\", line 3, in <module>\n    connect(password='pyS3cret')\nValueError", "pyS3cret")

	// Command lines.
	add("cmdline", "exec: curl -u admin:Adm1nPass https://api.local/health", "Adm1nPass")
	add("cmdline", "mysql -h db -u root --password=r00tPw! -e 'select 1'", "r00tPw!")
	add("cmdline", "psql --password Pgs3cret -h db", "Pgs3cret")
	add("cmdline", "mysql -uroot -pMyS3cretPw app", "MyS3cretPw")
	add("cmdline", "docker login -u ci -p dckr_pat_Qm7Lx2Rt9Vn4Kp8Zw3Hs6Bd1Fj5 registry", "dckr_pat_Qm7Lx2Rt9Vn4Kp8Zw3Hs6Bd1Fj5")
	add("cmdline", "sshpass -p 'Ssh!Pass42' ssh deploy@web1", "Ssh!Pass42")
	add("cmdline", "java -Djavax.net.ssl.keyStorePassword=ch4ngeit -jar app.jar", "ch4ngeit")
	add("cmdline", "vault login -method=userpass username=ops password=V4ultPw", "V4ultPw")
	add("cmdline", "htpasswd -b /etc/nginx/.htpasswd admin Ng1nxPw", "Ng1nxPw")
	add("cmdline", "openssl enc -aes-256-cbc -k Op3nSslPw -in a -out b", "Op3nSslPw")
	add("cmdline", "--api-key 7c6b5a4f3e2d1c0b9a8f", "7c6b5a4f3e2d1c0b9a8f")
	add("cmdline", "--token=ZXhhbXBsZXRva2VuMTIz", "ZXhhbXBsZXRva2VuMTIz")

	// E-mail and phone (personal data) at edges.
	add("email", "jane.doe+billing@example.co.uk", "jane.doe+billing@example.co.uk")
	add("email", "reply from <ops-team@corp.example.org>, thanks", "ops-team@corp.example.org")
	add("email", `{"email":"émile@exemple.fr"}`, "émile@exemple.fr")
	add("phone", "call me at +44 20 7946 0958 tomorrow", "+44 20 7946 0958")
	add("phone", "phone=+1 (415) 555-0132", "(415) 555-0132")
	add("phone", "SMS to +33612345678 failed", "+33612345678")

	// Split by line boundaries and at the ends.
	add("split", "AKIAZ7Q4XW2MLT9RBV3N", "AKIAZ7Q4XW2MLT9RBV3N")
	add("split", "first line\nghp_R8nVt2Qx7LmZ4pW9sK3hY6bD1fJ0cA5eG8uT\nlast line", "ghp_R8nVt2Qx7LmZ4pW9sK3hY6bD1fJ0cA5eG8uT")
	add("split", "card: 4532 0151\n1283 0366 (split across lines)", "1283 0366")
	add("split", "Authorization:\r\n Bearer Qm7Lx2Rt9Vn4Kp8Zw3Hs6", "Qm7Lx2Rt9Vn4Kp8Zw3Hs6")
	add("split", "token=\"abc\"\"def123secret\"", "def123secret")
	return cs
}

// --- the held-out negatives --------------------------------------------------------

func heldNegatives() []heldCase {
	var cs []heldCase
	add := func(kind, in string) { cs = append(cs, heldCase{kind: kind, in: in}) }

	add("uuid", "request_id=3f2504e0-4f89-11d3-9a0c-0305e82c3301 done")
	add("uuid", `{"order":"7c9e6679-7425-40de-944b-e07fc1f90ae7","status":"shipped"}`)
	add("uuid", "user 550e8400-e29b-41d4-a716-446655440000 logged in")
	add("uuid", "idempotency-key: 9b2d7f0e-5a1c-4e3b-8d6f-2a4c6e8b0d1f")
	add("trace", "trace_id=4bf92f3577b34da6a3ce929d0e0e4736 span_id=00f067aa0ba902b7")
	add("trace", "traceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
	add("trace", `{"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174"}`)
	add("trace", "X-B3-TraceId: 80f198ee56343ba864fe8b2a57d3eff7")
	add("trace", "X-Cloud-Trace-Context: 105445aa7843bc8bf206b12000100000/1;o=1")
	add("trace", "X-Amzn-Trace-Id: Root=1-5759e988-bd862e3fe1be46a994272793")
	add("digest", "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
	add("digest", "image=ghcr.io/acme/app@sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824")
	add("digest", "md5 d41d8cd98f00b204e9800998ecf8427e for empty file")
	add("digest", "sha1=da39a3ee5e6b4b0d3255bfef95601890afd80709")
	add("digest", "etag: \"33a64df551425fcc55e4d42a148795d9f25f89d4\"")
	add("digest", "checksum mismatch: want 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08")
	add("git", "commit 1a410efbd13591db07496601ebc7a059dd55cfe9")
	add("git", "HEAD is now at 3f9a2b7 fix: retry on 503")
	add("git", "Merge pull request #4242 from acme/feature-x (e83c5163316f89bfbde7d9ab23ca2e25604af290)")
	add("git", "go: downloading golang.org/x/net v0.0.0-20240103183307-be819d1f06fc")
	add("git", "vcs.revision=8c2e0b5d4f6a1c3e5b7d9f0a2c4e6b8d0f1a3c5e")
	add("base64img", "avatar=data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==")
	add("base64img", `{"thumb":"data:image/gif;base64,R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7"}`)
	add("base64img", "<img src=\"data:image/jpeg;base64,/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAgGBgcGBQgHBwcJCQgKDBQNDAsLDBkSEw8UHRofHh0aHBwgJC4nICIsIxwcKDcpLDAxNDQ0Hyc5PTgyPC4zNDL/\">")
	add("isbn", "ISBN 978-0-306-40615-7")
	add("isbn", "isbn13=9780306406157")
	add("isbn", "ISBN-10: 0-306-40615-2")
	add("isbn", "book 978-1-4028-9462-6 returned")
	add("isbn", "isbn: 9781861972712")
	add("imei", "IMEI 490154203237518")
	add("imei", "device_imei=356938035643809")
	add("imei", "imei: 35-209900-176148-1")
	add("imei", "handset IMEI: 353879234252633 registered")
	add("phone-like", "order 1234567890 shipped")
	add("phone-like", "invoice INV-2024-000123 paid")
	add("phone-like", "tracking 1Z999AA10123456784")
	add("phone-like", "customer_id=100234567 tier=gold")
	add("phone-like", "port 5432 pid 123456 uptime 86400s")
	add("phone-like", "rows affected: 1048576")
	add("phone-like", "epoch_ms=1717171717171")
	add("phone-like", "error code 0x80070005 (-2147024891)")
	add("phone-like", "account 000123456789 (internal ledger)")
	add("phone-like", "ticket #20240315-0042 closed")
	add("version", "resilog v1.26.3 (go1.26.0 linux/amd64)")
	add("version", "version=2024.11.2-rc.1+build.5678")
	add("version", "kernel 6.8.0-49-generic #49~22.04.1-Ubuntu")
	add("version", "chrome/126.0.6478.126 safari/537.36")
	add("version", "app_version=4.12.1034 build=20241129.3")
	add("version", "openssl 3.0.13 30 Jan 2024")
	add("time", "2024-11-29T23:53:08.123456789Z")
	add("time", "ts=2024-03-15T08:30:00+05:30 level=info msg=started")
	add("time", "Fri, 29 Nov 2024 23:53:08 GMT")
	add("time", "2024/11/29 23:53:08 listening")
	add("time", "duration=1h23m45.678s")
	add("time", "cron: 0 */5 * * *")
	add("ip", "client=192.168.1.10:54321 server=10.0.0.1:443")
	add("ip", "listen tcp [2001:db8::1]:8080: bind: address already in use")
	add("ip", "X-Forwarded-For: 203.0.113.195, 70.41.3.18, 150.172.238.178")
	add("ip", "mac=00:1A:2B:3C:4D:5E vlan=100")
	add("ip", "cidr 172.16.0.0/12 allowed")
	add("scheme", "token_type=Bearer expires_in=3600")
	add("scheme", `{"access_token_type":"Bearer","token_type":"bearer","expires_in":3599}`)
	add("scheme", "unsupported auth scheme: Bearer")
	add("scheme", "WWW-Authenticate: Basic realm=\"api\", charset=\"UTF-8\"")
	add("scheme", "WWW-Authenticate: Bearer realm=\"example\", error=\"invalid_token\"")
	add("scheme", "auth_method=password")
	add("scheme", "grant_type=client_credentials scope=read")
	add("scheme", "authentication=required")
	add("scheme", "security scheme: ApiKey in header")
	add("scheme", "token_endpoint=https://auth.example.com/oauth2/token")
	add("meta", "password_changed_at=2024-11-01T10:00:00Z")
	add("meta", "password_expires_in=30d")
	add("meta", "token_expires_at=1717171717")
	add("meta", "password_length=12 password_policy=strong")
	add("meta", "token_count=4096 max_tokens=8192")
	add("meta", "secret_name=prod/db/creds secret_version=7")
	add("meta", "api_key_id=key_17 api_key_last_used=2024-11-20")
	add("meta", "password_reset_requested=true")
	add("meta", `{"has_password":true,"password_set":false}`)
	add("meta", "tokens_used=1532 prompt_tokens=1200 completion_tokens=332")
	add("meta", "key_rotation_days=90")
	add("meta", "password=")
	add("meta", "password=[REDACTED:secret]")
	add("meta", "card ****4242 charged")
	add("meta", "token=[REDACTED:secret] status=401")
	add("ssh", "git@github.com:acme/app.git")
	add("ssh", "scp deploy@web1.internal:/var/log/app.log .")
	add("ssh", "rsync -az backup@nas:/volume1/backups/ /mnt/")
	add("ssh", "ssh://git@gitlab.example.com:2222/group/repo.git")
	add("ssh", "Connection to ubuntu@10.0.0.7 port 22 closed")
	add("url", "https://example.com/path?page=2&sort=desc")
	add("url", "GET /api/v1/users/42/orders?limit=50 200 12ms")
	add("url", "http://localhost:4318/v1/logs")
	add("url", "redirect_uri=https://app.example.com/callback&response_type=code")
	add("url", "https://user@example.com/ (no password)")
	add("url", "ftp://ftp.example.org/pub/README")
	add("prose", "Please reset your password using the link we sent.")
	add("prose", "The token bucket refills at 10 tokens per second.")
	add("prose", "invalid password for user alice")
	add("prose", "password must contain at least 12 characters")
	add("prose", "Forgot password? Click here.")
	add("prose", "refresh token expired, re-authenticating")
	add("prose", "the secret sauce is caching")
	add("prose", "user changed their password")
	add("prose", "api key missing from request")
	add("prose", "Bearer token required")
	add("prose", "authorization failed: insufficient scope")
	add("prose", "The password is incorrect.")
	add("prose", "the token is expired")
	add("prose", "password: (none)")
	add("prose", "Password reset email sent to the registered address")
	add("prose", "CSRF token mismatch")
	add("prose", "secret rotation completed for 3 secrets")
	add("prose", "Ticket: token passed to upstream was empty")
	add("code", "func (s *Server) Authenticate(ctx context.Context, token string) error {")
	add("code", "if err := bcrypt.CompareHashAndPassword(hash, []byte(password)); err != nil {")
	add("code", "    at com.acme.auth.TokenService.validate(TokenService.java:88)")
	add("code", "goroutine 17 [chan receive, 3 minutes]:\nnet/http.(*conn).serve(0xc000123456)")
	add("code", "panic: runtime error: index out of range [5] with length 3")
	add("code", "github.com/acme/app/internal/secrets.(*Store).Get(0xc0000a6000, {0x10a2b3c, 0x8})")
	add("code", "SELECT id, name FROM users WHERE id = 4242 LIMIT 1")
	add("code", "ERROR: column \"password\" does not exist at character 8")
	add("code", "Key (email_hash)=(5d41402abc4b2a76b9719d911017c592) already exists.")
	add("code", "password_field = forms.CharField(widget=forms.PasswordInput)")
	add("code", "const tokenHeader = \"X-Auth-Token\"")
	add("code", "env: PASSWORD_FILE=/run/secrets/db_password")
	add("code", "DB_PASSWORD_FILE=/run/secrets/db")
	add("code", "AWS_REGION=us-east-1 AWS_DEFAULT_OUTPUT=json")
	add("code", "HOME=/home/app PATH=/usr/local/bin:/usr/bin LANG=C.UTF-8")
	add("code", "kubectl get secret db-creds -o yaml")
	add("code", "valueFrom:\n  secretKeyRef:\n    name: db-creds\n    key: password")
	add("numbers", "amount=4242.42 currency=EUR")
	add("numbers", "latency_p99=0.0123 qps=12345.67")
	add("numbers", "coords=48.8566,2.3522")
	add("numbers", "bytes=1234567890123")
	add("numbers", "1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16")
	add("numbers", "dimensions 1920x1080 fps 59.94")
	add("numbers", "snowflake id 1541815603606036480")
	add("numbers", "order 4111 1111 1111 1112 rejected") // Luhn-invalid
	add("numbers", "ref DE00 1234 5678 9012 3456 78")    // IBAN with a wrong check
	add("numbers", "SSN-like 000-12-3456 test")          // area 000 is never issued
	add("numbers", "SSN-like 666-45-6789 test")          // area 666 is never issued
	add("numbers", "part no 900-12-3456")
	add("numbers", "cpf 123.456.789-00 (formato)")  // wrong check digits
	add("numbers", "aadhaar format XXXX XXXX XXXX") // placeholder
	add("unicode", "日本語のログ: 処理が完了しました")
	add("unicode", "Ошибка: пользователь не найден")
	add("unicode", "🔑 key rotated ✅")
	add("unicode", "naïve café résumé")
	add("ids", "k8s pod app-7d9f8c6b5-x2k4p restarted")
	add("ids", "arn:aws:iam::123456789012:role/app-role")
	add("ids", "i-0abcd1234efgh5678 running")
	add("ids", "stripe customer cus_NffrFeUfNV2Hib")
	add("ids", "twilio account AC_ref sid MM5ef8732a3c49700934481addd5ce1659 delivered")
	add("ids", "price_1MoBy5LkdIwHu7ixZhnattbh")
	add("ids", "ch_3MmlLrLkdIwHu7ix0snN0B15")
	add("ids", "GOOGLE_CLIENT_ID=123456789012-abcdefg.apps.googleusercontent.com")
	add("ids", "slack channel C024BE91L user U024BE7LH")
	add("ids", "sentry event 5d41402abc4b2a76b9719d911017c592 captured")
	add("ids", "heroku app dyno web.1 release v142")
	add("ids", "dataset AKIA_policy_doc.json")
	add("ids", "sku=SKU-ABCD-1234-EFGH")
	return cs
}

// heldoutKnown lists the cases the engine gets wrong today, by input; see the report of
// the attackdet branch for what each one produces.
var heldoutKnown = map[string]bool{
	// missed: named in prose, its first digit 0 (never allocated) fails the SIN check
	"Canadian SIN 046 454 286 on file": true,
	// missed: text forms
	// missed: command lines (short flags, positional passwords)
	// missed: phone with a parenthesised area code; a card split over two lines; a CSV-doubled quote
	"card: 4532 0151\n1283 0366 (split across lines)": true,
	// false positives
}

func TestHeldOut(t *testing.T) {
	r, err := redact.New(redact.Config{})
	if err != nil {
		t.Fatal(err)
	}
	type tally struct{ n, bad int }
	pos, neg := map[string]*tally{}, map[string]*tally{}
	count := func(m map[string]*tally, kind string, bad bool) {
		k := kind
		if i := strings.IndexByte(k, '/'); i >= 0 {
			k = k[:i]
		}
		if m[k] == nil {
			m[k] = &tally{}
		}
		m[k].n++
		if bad {
			m[k].bad++
		}
	}
	check := func(c heldCase, bad bool, out string) {
		what := "missed"
		if c.secret == "" {
			what = "false positive"
		}
		switch {
		case bad && !heldoutKnown[c.in]:
			t.Errorf("%s (%s):\n  in:  %q\n  out: %q", what, c.kind, c.in, out)
		case !bad && heldoutKnown[c.in]:
			t.Errorf("fixed (%s), remove it from heldoutKnown:\n  in:  %q\n  out: %q", c.kind, c.in, out)
		case bad:
			t.Logf("known %s (%s):\n  in:  %q\n  out: %q", what, c.kind, c.in, out)
		}
	}
	ps, ns := heldPositives(), heldNegatives()
	seen := map[string]bool{}
	for _, c := range append(ps, ns...) {
		if seen[c.in] {
			t.Fatalf("duplicate case %q", c.in)
		}
		seen[c.in] = true
	}
	if len(ps) < 150 || len(ns) < 150 {
		t.Fatalf("held-out set too small: %d positives, %d negatives", len(ps), len(ns))
	}
	for _, c := range ps {
		if !strings.Contains(c.in, c.secret) {
			t.Fatalf("bad case: secret %q not in %q", c.secret, c.in)
		}
		out := r.String(c.in)
		bad := strings.Contains(out, c.secret)
		count(pos, c.kind, bad)
		check(c, bad, out)
	}
	for _, c := range ns {
		out := r.String(c.in)
		bad := out != c.in
		count(neg, c.kind, bad)
		check(c, bad, out)
	}
	report := func(name string, m map[string]*tally, good bool) {
		keys := make([]string, 0, len(m))
		n, bad := 0, 0
		for k, v := range m {
			keys = append(keys, k)
			n += v.n
			bad += v.bad
		}
		sort.Strings(keys)
		rate := func(v tally) float64 {
			if good {
				return 100 * float64(v.n-v.bad) / float64(v.n)
			}
			return 100 * float64(v.bad) / float64(v.n)
		}
		t.Logf("%s: %.1f%% (%d/%d)", name, rate(tally{n, bad}), map[bool]int{true: n - bad, false: bad}[good], n)
		for _, k := range keys {
			v := *m[k]
			t.Logf("  %-22s %5.1f%% (%d/%d)", k, rate(v), map[bool]int{true: v.n - v.bad, false: v.bad}[good], v.n)
		}
	}
	report("recall", pos, true)
	report("false-positive rate", neg, false)
}

// BenchmarkHostile times String on inputs built to make the hand-written scanners slow:
// a 64 KiB line of '@' (each '@' looks back over the whole prefix for a dot), and long
// runs of digit groups (every group starts a card candidate).
//
//	go test -run XXX -bench Hostile ./redact/
func BenchmarkHostile(b *testing.B) {
	r, err := redact.New(redact.Config{})
	if err != nil {
		b.Fatal(err)
	}
	for _, unit := range []string{"@", "u:p@", "4-", "0 "} {
		for _, n := range []int{4 << 10, 64 << 10} {
			s := strings.Repeat(unit, n/len(unit))
			b.Run(fmt.Sprintf("%q/%dKiB", unit, n>>10), func(b *testing.B) {
				b.SetBytes(int64(len(s)))
				for b.Loop() {
					r.String(s)
				}
			})
		}
	}
}
