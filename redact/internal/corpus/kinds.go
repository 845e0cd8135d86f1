package corpus

import (
	"encoding/base64"
	"fmt"
	"strings"
)

type value struct{ text, secret string }

func same(s string) value { return value{s, s} }

// kindGen generates one kind: n positives whose value comes from value, placed in the
// value forms (found by shape), the key forms under keys, or its own context; and its
// lookalike negatives.
type kindGen struct {
	kind      string
	n         int
	value     func(*gen) value
	keys      []string // key names the kind is masked under
	byValue   bool     // with keys: also placed where only its shape can find it
	context   func(*gen, value) (line, secret string)
	negatives []negGen
}

type negGen struct {
	name string
	n    int
	line func(*gen) string
}

type form struct {
	name   string
	render func(g *gen, key, v string) string
}

// valueForms place a value where no key names it.
var valueForms = []form{
	{"free_text", func(g *gen, _, v string) string {
		return fmt.Sprintf(g.one("upstream rejected %s for tenant acme", "using %s for the nightly sync", "%s",
			"retrying the request with %s.", "value (%s) not accepted"), v)
	}},
	{"kv", func(g *gen, _, v string) string {
		return fmt.Sprintf("level=warn msg=retry %s=%s attempt=%d", g.one("note", "detail", "value", "arg"), v, g.between(1, 9))
	}},
	{"json", func(g *gen, _, v string) string {
		return fmt.Sprintf(`{"level":"warn","msg":"retry","%s":"%s"}`, g.one("detail", "note", "input"), v)
	}},
	{"header", func(g *gen, _, v string) string { return fmt.Sprintf("X-Debug-%s: %s", g.one("Info", "Ref"), v) }},
	{"url", func(g *gen, _, v string) string {
		return fmt.Sprintf("GET https://api.example.com/v2/items?ref=%s&page=%d", v, g.between(1, 9))
	}},
}

// keyForms place a value under a key that names it, in every way people write one.
var keyForms = []form{
	{"kv", func(g *gen, k, v string) string { return fmt.Sprintf("user=u%d %s=%s status=401", g.r.IntN(999), k, v) }},
	{"kv_spaced", func(_ *gen, k, v string) string { return fmt.Sprintf("%s = %s", k, v) }},
	{"colon", func(_ *gen, k, v string) string { return fmt.Sprintf("%s: %s", k, v) }},
	{"json", func(g *gen, k, v string) string { return fmt.Sprintf(`{"user":"u%d","%s":"%s"}`, g.r.IntN(999), k, v) }},
	{"json_escaped", func(_ *gen, k, v string) string { return fmt.Sprintf(`{"body":"{\"%s\":\"%s\"}"}`, k, v) }},
	{"xml", func(_ *gen, k, v string) string { return fmt.Sprintf("<request><%s>%s</%s></request>", k, v, k) }},
	{"is", func(_ *gen, k, v string) string { return fmt.Sprintf("the %s is %s", k, v) }},
	{"flag", func(_ *gen, k, v string) string {
		return fmt.Sprintf("exec: app --%s %s --verbose", strings.ReplaceAll(strings.ToLower(k), "_", "-"), v)
	}},
	{"tab", func(_ *gen, k, v string) string { return k + "\t" + v }},
	{"fullwidth_colon", func(_ *gen, k, v string) string { return k + "：" + v }},
	{"next_line", func(_ *gen, k, v string) string { return k + ":\n  " + v }},
	{"go_struct", func(_ *gen, k, v string) string { return fmt.Sprintf("{User:bob %s:%s Age:3}", goName(k), v) }},
	{"query", func(_ *gen, k, v string) string { return fmt.Sprintf("https://api.example.com/cb?%s=%s&page=2", k, v) }},
}

func goName(k string) string {
	var b strings.Builder
	for _, w := range strings.FieldsFunc(k, func(r rune) bool { return r == '_' || r == '-' || r == '.' }) {
		b.WriteString(strings.ToUpper(w[:1]) + w[1:])
	}
	return b.String()
}

func tok(prefix, chars string, n int) func(*gen) value {
	return func(g *gen) value { return same(prefix + g.pick(chars, n)) }
}

func neg(name string, n int, line func(*gen) string) negGen { return negGen{name, n, line} }

// lit is a negative written out.
func lit(lines ...string) func(*gen) string {
	return func(g *gen) string { return g.one(lines...) }
}

var kinds = []kindGen{
	// Credentials by key.
	{kind: "secret", n: 160, value: func(g *gen) value { return same(g.password()) },
		keys: []string{"password", "passwd", "pwd", "pw", "passcode", "passwords", "secrets", "api_keys", "tokens",
			"password_hash", "signature", "client_secret", "db_password", "X-Auth-Token", "Ocp-Apim-Subscription-Key",
			"access_token", "refresh_token", "apiKey", "secret", "token", "sig", "X-Amz-Signature", "passwordHash", "secret_value"},
		negatives: []negGen{
			neg("prose", 20, lit("the password is incorrect", "token is expired", "password is required", "your secret is safe with us",
				"password: required", "tokens: 1200", "tokens=5", `{"tokens": 1200}`, "password_changed_at=2024-06-10T14:03:27Z",
				"token_type=Bearer", "secret_name=db-creds", "password_policy=strong", "token_count=4096", "<password></password>",
				"--password-file /run/secrets/db", "passwords: 3", "prompt_tokens=512", "signature_method=HMAC-SHA256",
				"password reset requested", "api key rotated")),
		}},
	{kind: "authorization", n: 60, value: func(g *gen) value { return same(g.pick(urlChars, g.between(20, 40))) },
		context: func(g *gen, v value) (string, string) {
			switch g.r.IntN(4) {
			case 0:
				return fmt.Sprintf("%s: %s %s", g.one("Authorization", "authorization", "Authentication", "Proxy-Authorization"),
					g.one("Bearer", "Basic", "Token", "Negotiate", "ApiKey", "SSWS", "Splunk", "DPoP"), v.text), v.secret
			case 1:
				return fmt.Sprintf(`{"headers":{"Authorization":"%s %s"}}`, g.one("Token", "Bearer", "SSWS", "Splunk"), v.text), v.secret
			case 2:
				response := g.pick(hexChars, 32)
				return fmt.Sprintf(`Authorization: Digest username="bob", realm="api", response="%s"`, response), response
			}
			return fmt.Sprintf("curl -H 'Authorization: %s %s' https://api.example.com", g.one("Bearer", "Token", "ApiKey"), v.text), v.secret
		},
		negatives: []negGen{
			neg("scheme_word", 12, lit("token_type=Bearer", "unsupported auth scheme: Bearer", `WWW-Authenticate: Bearer realm="api"`,
				`{"token_type":"Bearer","expires_in":3600}`, "auth scheme: Negotiate", "supported schemes: Basic, Bearer",
				"authorization: none", "Authorization header missing")),
		}},
	{kind: "cookie", n: 25, value: func(g *gen) value { return same(g.pick(alnumChars, 32)) },
		context: func(g *gen, v value) (string, string) {
			return fmt.Sprintf("%s: %s=%s; theme=dark", g.one("Cookie", "Set-Cookie", "cookie"), g.one("session", "sid", "auth"), v.text), v.secret
		}},
	{kind: "private_key", n: 20, value: func(g *gen) value { return same(g.pick(b64Chars, 64)) },
		context: func(g *gen, v value) (string, string) {
			label := g.one("RSA PRIVATE KEY", "PRIVATE KEY", "EC PRIVATE KEY", "OPENSSH PRIVATE KEY")
			nl := g.one("\n", `\n`)
			return "-----BEGIN " + label + "-----" + nl + v.text + nl + g.pick(b64Chars, 64) + nl + "-----END " + label + "-----", v.secret
		},
		negatives: []negGen{neg("public", 5, func(g *gen) string {
			return "-----BEGIN CERTIFICATE-----\n" + g.pick(b64Chars, 64) + "\n-----END CERTIFICATE-----"
		})}},
	{kind: "url_password", n: 60, value: func(g *gen) value { return same(g.password()) },
		context: func(g *gen, v value) (string, string) {
			user := g.one("app", "deploy", "root", "svc_orders")
			switch g.r.IntN(4) {
			case 0:
				return fmt.Sprintf("%s://%s:%s@db.internal:5432/orders", g.one("postgres", "mysql", "redis", "amqp", "https"), user, v.text), v.secret
			case 1:
				return fmt.Sprintf("dsn=%s:%s@tcp(db.internal:3306)/orders?parseTime=true", user, v.text), v.secret
			case 2:
				return fmt.Sprintf("opening %s:%s@unix(/var/run/mysqld.sock)/orders", user, v.text), v.secret
			}
			return fmt.Sprintf("curl -u %s:%s https://api.example.com/v1", user, v.text), v.secret
		},
		negatives: []negGen{
			neg("scp_remote", 15, func(g *gen) string {
				return g.one("git@github.com:", "git@gitlab.com:", "deploy@10.0.0.5:", "ci@build.example.org:") + g.one("acme/app.git", "/srv/releases/", "org/repo")
			}),
			neg("no_password", 10, lit("connecting to app@tcp(db.internal:3306)/orders", "ssh://git@github.com/acme/app.git",
				"curl -u admin https://api.example.com", "https://api.example.com/users/42", "scp build.tar.gz deploy@host:/srv/")),
		}},
	{kind: "jwt", n: 30, value: func(g *gen) value { return same(g.jwt()) },
		negatives: []negGen{neg("header_only", 15, func(g *gen) string {
			return "jose header " + base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"`+g.one("RS256", "ES256")+`","kid":"`+g.pick(hexChars, 8)+`"}`))
		})}},
	{kind: "aws_key", n: 20, value: tok("AKIA", upperChars+digitChars, 16)},
	{kind: "github_token", n: 20, value: func(g *gen) value {
		return same(g.one("ghp_", "gho_", "ghu_", "ghs_", "ghr_") + g.pick(alnumChars, 36))
	}},
	{kind: "gitlab_token", n: 15, value: tok("glpat-", urlChars, 20)},
	{kind: "slack_token", n: 15, value: func(g *gen) value {
		return same(g.one("xoxb-", "xoxp-") + g.pick(digitChars, 11) + "-" + g.pick(digitChars, 13) + "-" + g.pick(alnumChars, 24))
	}},
	{kind: "slack_webhook", n: 10, value: tok("", alnumChars, 24),
		context: func(g *gen, v value) (string, string) {
			return "POST https://hooks.slack.com/services/T" + g.pick(upperChars+digitChars, 8) + "/B" + g.pick(upperChars+digitChars, 8) + "/" + v.text, v.secret
		}},
	{kind: "stripe_key", n: 15, value: func(g *gen) value {
		return same(g.one("sk_live_", "sk_test_", "rk_live_") + g.pick(alnumChars, g.between(24, 99)))
	}},
	{kind: "openai_key", n: 15, value: func(g *gen) value { return same("sk-proj-" + g.pick(urlChars, 120)) }},
	{kind: "anthropic_key", n: 15, value: func(g *gen) value { return same("sk-ant-api03-" + g.pick(urlChars, 93) + "AA") }},
	{kind: "google_api_key", n: 15, value: tok("AIza", urlChars, 35)},
	{kind: "vault_token", n: 10, value: tok("hvs.", urlChars, 90)},
	{kind: "npm_token", n: 10, value: tok("npm_", alnumChars, 36)},
	{kind: "pypi_token", n: 10, value: tok("pypi-AgEIcHlwaS5vcmc", urlChars, 70)},
	{kind: "sendgrid_key", n: 10, value: func(g *gen) value { return same("SG." + g.pick(urlChars, 22) + "." + g.pick(urlChars, 43)) }},

	// Vendor tokens with a fixed prefix (formats as gitleaks documents them).
	{kind: "shopify_token", n: 20, value: func(g *gen) value { return same(g.one("shpat_", "shpca_", "shppa_", "shpss_") + g.pick(hexChars, 32)) },
		negatives: []negGen{neg("short", 5, func(g *gen) string { return "shpat_" + g.pick(hexChars, 12) })}},
	{kind: "digitalocean_token", n: 20, value: func(g *gen) value { return same(g.one("dop_v1_", "doo_v1_", "dor_v1_") + g.pick(hexChars, 64)) }},
	{kind: "huggingface_token", n: 20, value: func(g *gen) value { return same("hf_" + g.pick(lowerChars+upperChars, 34)) },
		negatives: []negGen{neg("identifier", 8, lit("hf_hub_download failed", "calling hf_transfer", "hf_token_path=/etc/hf", "module hf_utils loaded"))}},
	{kind: "databricks_token", n: 20, value: func(g *gen) value { return same("dapi" + g.pick(hexChars, 32)) }},
	{kind: "doppler_token", n: 20, value: func(g *gen) value {
		return same(g.one("dp.pt.", "dp.st.", "dp.ct.", "dp.sa.") + g.pick(alnumChars, 43))
	}},
	{kind: "linear_key", n: 20, value: tok("lin_api_", alnumChars, 40)},
	{kind: "atlassian_token", n: 20, value: func(g *gen) value {
		return same("ATATT3" + g.pick(urlChars, 180) + "=" + g.pick("0123456789ABCDEF", 8))
	}},
	{kind: "postman_key", n: 20, value: func(g *gen) value { return same("PMAK-" + g.pick(hexChars, 24) + "-" + g.pick(hexChars, 34)) }},
	{kind: "grafana_token", n: 20, value: func(g *gen) value {
		if g.r.IntN(2) == 0 {
			return same("glc_" + g.pick(alnumChars+"+/", 80) + "=")
		}
		return same("glsa_" + g.pick(alnumChars, 32) + "_" + g.pick(hexChars, 8))
	}},
	{kind: "sentry_token", n: 20, value: func(g *gen) value {
		if g.r.IntN(2) == 0 {
			return same("sntryu_" + g.pick(hexChars, 64))
		}
		return same("sntrys_eyJpYXQiOjE3" + g.pick(alnumChars, 80) + "_" + g.pick(alnumChars, 43))
	}},
	{kind: "newrelic_key", n: 20, value: func(g *gen) value {
		if g.r.IntN(2) == 0 {
			return same("NRAK-" + g.pick(upperChars+digitChars, 27))
		}
		return same("NRJS-" + g.pick(hexChars, 19))
	}},
	{kind: "twilio_key", n: 20, value: tok("SK", hexChars, 32),
		negatives: []negGen{neg("sku", 8, func(g *gen) string { return "SKU-" + g.pick(digitChars, 8) + " restocked" })}},
	{kind: "mailgun_key", n: 20, value: func(g *gen) value { return same(g.one("key-", "pubkey-") + g.pick(hexChars, 32)) },
		negatives: []negGen{neg("word", 6, lit("key-value store ready", "key-rotation scheduled", "the key-id is 42"))}},
	{kind: "square_token", n: 20, value: func(g *gen) value {
		if g.r.IntN(2) == 0 {
			return same("sq0atp-" + g.pick(urlChars, 22))
		}
		return same("EAAA" + g.pick(urlChars, 60))
	}},
	{kind: "heroku_key", n: 20, value: tok("HRKU-AA", urlChars, 58)},
	{kind: "discord_token", n: 20, value: func(g *gen) value {
		id := base64.RawStdEncoding.EncodeToString([]byte(fmt.Sprintf("%d", 100000000000000000+g.r.Int64N(900000000000000000))))
		return same(id + "." + g.pick(urlChars, 6) + "." + g.pick(urlChars, 27))
	}},
	{kind: "telegram_token", n: 20, value: func(g *gen) value {
		return same(fmt.Sprintf("%d:AA%s", g.between(100000000, 999999999), g.pick(urlChars, 33)))
	}, negatives: []negGen{neg("time", 6, lit("uptime 123456789:AAbc", "ratio 12345678:1", "at 2024-06-10T14:03:27Z"))}},
	{kind: "google_oauth_secret", n: 20, value: tok("GOCSPX-", urlChars, 28)},
	{kind: "gcp_private_key_id", n: 20, value: func(g *gen) value { return same(g.pick(hexChars, 40)) },
		context: func(g *gen, v value) (string, string) {
			return fmt.Sprintf(`{"type":"service_account","project_id":"acme-%d","private_key_id":"%s","client_email":"svc@acme.iam.gserviceaccount.com"}`,
				g.r.IntN(999), v.text), v.secret
		}},

	// Payment.
	{kind: "card", n: 60, value: func(g *gen) value { return same(g.card(true)) }, keys: []string{"card_number", "pan", "cc"}, byValue: true,
		negatives: []negGen{
			neg("luhn_fails", 40, func(g *gen) string { return "order " + g.card(false) }),
			neg("imei", 25, func(g *gen) string {
				d := g.digits("3", 14)
				d[1] = 5
				return "device imei=" + str(append(d, luhnDigit(d)))
			}),
			neg("isbn", 10, func(g *gen) string {
				return "ISBN 978-" + g.pick(digitChars, 1) + "-" + g.pick(digitChars, 3) + "-" + g.pick(digitChars, 5) + "-" + g.pick(digitChars, 1)
			}),
		}},
	{kind: "cvv", n: 30, value: func(g *gen) value { return same(g.pick(digitChars, g.between(3, 4))) },
		keys: []string{"cvv", "cvc", "cvv2", "card_cvc", "billing_cvv2", "securityCode"}},
	{kind: "iban", n: 40, value: func(g *gen) value { return same(g.iban(true)) }, keys: []string{"iban", "user_iban"}, byValue: true,
		negatives: []negGen{neg("mod97_fails", 25, func(g *gen) string { return "ref " + g.iban(false) })}},

	// Government IDs.
	{kind: "ssn", n: 40, value: func(g *gen) value {
		area := g.between(1, 899)
		if area == 666 {
			area = 665
		}
		return same(fmt.Sprintf("%03d-%02d-%04d", area, g.between(1, 99), g.between(1, 9999)))
	}, keys: []string{"ssn", "customer_ssn", "social_security_number"}, byValue: true,
		negatives: []negGen{neg("invalid_area", 20, func(g *gen) string {
			return fmt.Sprintf("%s-%02d-%04d", g.one("000", "666", fmt.Sprintf("9%02d", g.r.IntN(100))), g.between(1, 99), g.between(1, 9999))
		})}},
	{kind: "ssn", n: 20, value: func(g *gen) value {
		return same(fmt.Sprintf("%03d%02d%04d", g.between(1, 665), g.between(1, 99), g.between(1, 9999)))
	}, keys: []string{"ssn", "customer_ssn"}},
	{kind: "nino", n: 30, value: func(g *gen) value {
		p := g.one("AB", "CE", "JG", "KL", "PR", "SW", "WX", "YZ", "HT", "LM")
		d := g.pick(digitChars, 6)
		s := p + d + g.one("A", "B", "C", "D")
		if g.r.IntN(2) == 0 {
			s = p + " " + group(d, " ", 2, 2, 2) + " " + s[8:]
		}
		return same(s)
	}, keys: []string{"nino", "ni_number"}, byValue: true,
		negatives: []negGen{neg("bad_prefix", 10, func(g *gen) string {
			return "ref " + g.one("BG", "GB", "NK", "KN", "TN", "NT", "ZZ", "DA", "FA", "QU") + g.pick(digitChars, 6) + "A"
		})}},
	{kind: "sin", n: 40, value: func(g *gen) value {
		d := g.digits("1234567", 8)
		d = append(d, luhnDigit(d))
		for tfnOK(d) { // a number valid as both is reported as a TFN; keep the kinds apart
			d = g.digits("1234567", 8)
			d = append(d, luhnDigit(d))
		}
		return same(group(str(d), g.one(" ", "-"), 3, 3, 3))
	}, keys: []string{"sin", "social_insurance_number"}, byValue: true,
		negatives: []negGen{neg("luhn_fails", 20, func(g *gen) string {
			for {
				d := g.digits("1234567", 9)
				if !luhnOK(d) && !tfnOK(d) {
					return "order " + group(str(d), g.one(" ", "-"), 3, 3, 3)
				}
			}
		})}},
	{kind: "dni", n: 40, value: func(g *gen) value {
		if g.r.IntN(3) == 0 {
			x := g.r.IntN(3)
			d := g.pick(digitChars, 7)
			n := x*10000000 + atoi(d)
			return same(string("XYZ"[x]) + d + string(dniLetters[n%23]))
		}
		d := g.pick(digitChars, 8)
		return same(d + g.one("", "-") + string(dniLetters[atoi(d)%23]))
	}, keys: []string{"dni", "nie", "nif"}, byValue: true,
		negatives: []negGen{neg("wrong_letter", 20, func(g *gen) string {
			d := g.pick(digitChars, 8)
			return "ref " + d + string(dniLetters[(atoi(d)+g.between(1, 22))%23])
		})}},
	{kind: "cpf", n: 40, value: func(g *gen) value {
		d := cpfDigits(g.digits("123456789", 9))
		s := str(d)
		return same(s[:3] + "." + s[3:6] + "." + s[6:9] + "-" + s[9:])
	}, keys: []string{"cpf", "customer_cpf"}, byValue: true,
		negatives: []negGen{neg("check_fails", 20, func(g *gen) string {
			d := cpfDigits(g.digits("123456789", 9))
			d[10] = (d[10] + g.between(1, 9)) % 10
			s := str(d)
			return "ref " + s[:3] + "." + s[3:6] + "." + s[6:9] + "-" + s[9:]
		}), neg("version", 5, lit("release 1.123.456-78 built", "v2.345.678-90"))}},
	{kind: "cnpj", n: 30, value: func(g *gen) value {
		d := g.digits("123456789", 8)
		d = append(d, 0, 0, 0, 1)
		s := str(cnpjDigits(d))
		return same(s[:2] + "." + s[2:5] + "." + s[5:8] + "/" + s[8:12] + "-" + s[12:])
	}, keys: []string{"cnpj"}, byValue: true,
		negatives: []negGen{neg("check_fails", 15, func(g *gen) string {
			d := g.digits("123456789", 8)
			d = cnpjDigits(append(d, 0, 0, 0, 1))
			d[13] = (d[13] + g.between(1, 9)) % 10
			s := str(d)
			return "ref " + s[:2] + "." + s[2:5] + "." + s[5:8] + "/" + s[8:12] + "-" + s[12:]
		})}},
	{kind: "aadhaar", n: 40, value: func(g *gen) value {
		d := g.digits("23456789", 11)
		return same(group(str(append(d, verhoeffDigit(d))), g.one(" ", "-"), 4, 4, 4))
	}, keys: []string{"aadhaar", "aadhaar_number"}, byValue: true,
		negatives: []negGen{neg("verhoeff_fails", 30, func(g *gen) string {
			d := g.digits("23456789", 11)
			d = append(d, (verhoeffDigit(d)+g.between(1, 9))%10)
			return "batch " + group(str(d), " ", 4, 4, 4)
		})}},
	{kind: "india_pan", n: 30, value: func(g *gen) value {
		return same(g.pick(upperChars, 3) + g.one("P", "C", "H", "F", "A", "T") + g.pick(upperChars, 1) + g.pick(digitChars, 4) + g.pick(upperChars, 1))
	}, keys: []string{"pan_number"}, byValue: true,
		negatives: []negGen{neg("bad_holder", 15, func(g *gen) string {
			return "part " + g.pick(upperChars, 3) + g.one("D", "E", "I", "M", "N", "Q") + g.pick(upperChars, 1) + g.pick(digitChars, 4) + g.pick(upperChars, 1)
		})}},
	{kind: "nir", n: 30, value: func(g *gen) value {
		s := fmt.Sprintf("%d%02d%02d%02d%03d%03d", g.between(1, 2), g.r.IntN(100), g.between(1, 12), g.between(1, 95), g.between(1, 999), g.between(1, 999))
		n := 0
		for _, c := range s {
			n = (n*10 + int(c-'0')) % 97
		}
		s += fmt.Sprintf("%02d", 97-n)
		if g.r.IntN(2) == 0 {
			s = group(s, " ", 1, 2, 2, 2, 3, 3, 2)
		}
		return same(s)
	}, keys: []string{"nir", "numero_secu"}, byValue: true,
		negatives: []negGen{neg("key_fails", 15, func(g *gen) string {
			return fmt.Sprintf("tracking %d%02d%02d%02d%03d%03d%02d", g.between(1, 2), g.r.IntN(100), g.between(1, 12), g.between(1, 95),
				g.between(1, 999), g.between(1, 999), 98)
		})}},
	{kind: "bsn", n: 30, value: func(g *gen) value {
		for {
			d := g.digits("123456789", 9)
			sum := 0
			for i := 0; i < 8; i++ {
				sum += (9 - i) * d[i]
			}
			if c := sum % 11; c < 10 {
				d[8] = c
				return same(str(d))
			}
		}
	}, keys: []string{"bsn", "burgerservicenummer", "customer_bsn"},
		negatives: []negGen{neg("nine_digits", 15, func(g *gen) string { return "order " + g.pick(digitChars, 9) + " shipped" })}},
	{kind: "codice_fiscale", n: 30, value: func(g *gen) value { return same(g.codiceFiscale(true)) },
		keys: []string{"codice_fiscale"}, byValue: true,
		negatives: []negGen{neg("check_fails", 15, func(g *gen) string { return "ref " + g.codiceFiscale(false) })}},
	{kind: "tfn", n: 30, value: func(g *gen) value {
		for {
			d := g.digits("123456789", 9)
			if tfnOK(d) {
				return same(group(str(d), " ", 3, 3, 3))
			}
		}
	}, keys: []string{"tfn", "tax_file_number"}, byValue: true,
		negatives: []negGen{neg("check_fails", 15, func(g *gen) string {
			for {
				d := g.digits("123456789", 9)
				if !tfnOK(d) && !luhnOK(d) {
					return "invoice " + group(str(d), " ", 3, 3, 3)
				}
			}
		})}},
	{kind: "national_id", n: 30, value: func(g *gen) value { return same(g.pick(upperChars, 2) + g.pick(digitChars, 7)) },
		keys: []string{"national_id", "tax_id", "passport_number", "taxpayer_id", "nationalId"}},

	// Contact.
	{kind: "email", n: 30, value: func(g *gen) value {
		return same(g.one("jane", "bob.smith", "ops+alerts", "a.b-c") + "@" + g.one("example.com", "mail.example.co.uk", "corp.example.org"))
	}, negatives: []negGen{neg("remote", 10, lit("git@github.com:acme/app.git", "ssh://git@gitlab.com/acme/app.git",
		"cloning git@bitbucket.org:team/repo.git", "@channel deploy done", "user@localhost"))}},
	{kind: "phone", n: 30, value: func(g *gen) value {
		return same(g.one("+44 20 ", "+1 415 ", "+33 1 ", "+49 30 ") + g.pick(digitChars, 4) + " " + g.pick(digitChars, 4))
	}, negatives: []negGen{neg("version", 10, lit("v1.2.3+build.5", "1+1=2", "go1.26+incompatible", "C++ 20"))}},

	// Lookalikes that belong to no kind.
	{kind: "none", negatives: []negGen{
		neg("trace_id", 60, func(g *gen) string { return "trace_id=" + g.pick(hexChars, 32) + " span_id=" + g.pick(hexChars, 16) }),
		neg("traceparent", 20, func(g *gen) string {
			return "traceparent: 00-" + g.pick(hexChars, 32) + "-" + g.pick(hexChars, 16) + "-01"
		}),
		neg("uuid", 50, func(g *gen) string {
			return "request " + g.pick(hexChars, 8) + "-" + g.pick(hexChars, 4) + "-4" + g.pick(hexChars, 3) + "-a" + g.pick(hexChars, 3) + "-" + g.pick(hexChars, 12)
		}),
		neg("digest", 40, func(g *gen) string { return "image ghcr.io/acme/app@sha256:" + g.pick(hexChars, 64) }),
		neg("git_sha", 40, func(g *gen) string { return "deployed commit " + g.pick(hexChars, 40) }),
		neg("version", 40, func(g *gen) string {
			return fmt.Sprintf("build v%d.%d.%d+%s version=%d.%d.%d-gke.%d", g.r.IntN(3), g.r.IntN(40), g.r.IntN(20), g.pick(hexChars, 7),
				g.r.IntN(2)+1, g.r.IntN(33), g.r.IntN(9), g.r.IntN(2000))
		}),
		neg("timestamp", 40, func(g *gen) string {
			return fmt.Sprintf("ts=%d at 2026-%02d-%02dT%02d:%02d:%02d.%03dZ", 1700000000000+g.r.Int64N(99999999999), g.between(1, 12), g.between(1, 28),
				g.r.IntN(24), g.r.IntN(60), g.r.IntN(60), g.r.IntN(1000))
		}),
		neg("order_ids", 60, func(g *gen) string {
			return fmt.Sprintf("order %d shipped to warehouse %d, %d items, total %d.%02d", g.r.Int64N(9999999999), g.r.IntN(99), g.r.IntN(20), g.r.IntN(9999), g.r.IntN(100))
		}),
		neg("http", 60, func(g *gen) string {
			return fmt.Sprintf(`%s /api/v1/orders/%d?page=%d&limit=50 200 %dms ua="Mozilla/5.0 (X11; Linux x86_64)"`, g.one("GET", "POST"),
				g.r.IntN(99999), g.r.IntN(9), g.r.IntN(999))
		}),
		neg("prose", 60, lit("user logged in", "cache miss for key user:42:profile", "retrying in 1500 ms", "ratio=0.75 p99=120ms",
			"level=info msg=ok", "connection reset by peer", "TLS handshake complete: TLS_AES_128_GCM_SHA256",
			"SELECT id, name FROM users WHERE id = $1", "queue depth 128, workers 8", "Is the service healthy? yes",
			"this is fine", "the build is green", "GOMAXPROCS=2 GOGC=100", "pod orders-7d9f8c6b5-x2x9k restarted",
			"k8s node ip-10-0-3-17.ec2.internal ready", "disk /dev/nvme0n1p1 87% full")),
		neg("short_prefix", 60, func(g *gen) string {
			return g.one("sk-", "ghp_", "AKIA", "glpat-", "xoxb-", "hf_", "dapi", "SK", "key-", "NRAK-", "EAAA", "GOCSPX-", "lin_api_", "dop_v1_") +
				g.pick(lowerChars, g.between(3, 9)) + " " + g.one("is a prefix", "too short", "truncated")
		}),
		neg("key_metadata", 40, lit("password_changed_at=2026-01-02", "token_expires_at=1718035200", "session_count=4", "secret_name=db",
			"token_type=refresh", "password_length=12", "api_key_id=ak_42", "card_last_four=4242", "token_usage=1532",
			"max_tokens=4096", `{"completion_tokens": 87, "prompt_tokens": 512}`, "password_strength=weak", "secret_version=7")),
	}},
}

func atoi(s string) int {
	n := 0
	for _, c := range s {
		n = n*10 + int(c-'0')
	}
	return n
}
