package redact

import (
	"strings"
	"testing"
	"unicode/utf8"

	"go.opentelemetry.io/otel/attribute"

	"github.com/resilog/resilog/redact/internal/corpus"
)

// redactCase is a line, the secret that must vanish from it, and what must come out
// (when given).
type redactCase struct{ name, in, secret, want string }

func checkCases(t *testing.T, r *Redactor, cases []redactCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := r.String(c.in)
			if strings.Contains(got, c.secret) {
				t.Errorf("%q still holds %q", got, c.secret)
			}
			if c.want != "" && got != c.want {
				t.Errorf("got  %q\nwant %q", got, c.want)
			}
			if again := r.String(got); again != got {
				t.Errorf("not idempotent: %q -> %q", got, again)
			}
		})
	}
}

// TestTextForms covers the ways a secret is written into text beyond key=value (issue 12
// item 6).
func TestTextForms(t *testing.T) {
	checkCases(t, newTestRedact(t, Config{}), []redactCase{
		{"space before =", "password = hunter2", "hunter2", "password = [REDACTED:secret]"},
		{"is", "the password is hunter2.", "hunter2", "the password is [REDACTED:secret]."},
		{"is quoted", `the api key is "correcthorse"`, "correcthorse", `the api key is "[REDACTED:secret]"`},
		{"tab", "password\thunter2", "hunter2", "password\t[REDACTED:secret]"},
		{"colon and tab", "password:\thunter2", "hunter2", "password:\t[REDACTED:secret]"},
		{"full-width colon", "密码 password：hunter2", "hunter2", "密码 password：[REDACTED:secret]"},
		{"next line", "password:\n  hunter2\nuser: bob", "hunter2", "password:\n  [REDACTED:secret]\nuser: bob"},
		{"xml", "<login><user>bob</user><password>hunter2</password></login>", "hunter2",
			"<login><user>bob</user><password>[REDACTED:secret]</password></login>"},
		{"xml namespace", "<ns:apiKey>k3y-v4lue</ns:apiKey>", "k3y-v4lue", ""},
		{"escaped json", `{"body":"{\"password\":\"hunter2\"}"}`, "hunter2", `{"body":"{\"password\":\"[REDACTED:secret]\"}"}`},
		{"dsn tcp", "dsn: app:hunter2@tcp(db:3306)/orders", "hunter2", ""},
		{"dsn in text", "open app:hunter2@tcp(db:3306)/orders?parseTime=true", "hunter2", "open app:[REDACTED:url_password]@tcp(db:3306)/orders?parseTime=true"},
		{"dsn unix", "root:hunter2@unix(/tmp/mysql.sock)/test", "hunter2", ""},
		{"authorization token", "Authorization: Token 9944b09199c62bcf9418ad846dd0e4bb", "9944b09199c62bcf9418ad846dd0e4bb",
			"Authorization: Token [REDACTED:authorization]"},
		{"authorization negotiate", "Authorization: Negotiate YIIGhgYGKwYBBQUCoIIGejCCBnag", "YIIGhgYGKwYBBQUCoIIGejCCBnag",
			"Authorization: Negotiate [REDACTED:authorization]"},
		{"authorization apikey", "authorization: ApiKey a1b2c3d4e5", "a1b2c3d4e5", "authorization: ApiKey [REDACTED:authorization]"},
		{"authorization ssws", "Authorization: SSWS 00QCjAl4MlV-WPXM-ABCDEFGH", "00QCjAl4MlV-WPXM-ABCDEFGH", "Authorization: SSWS [REDACTED:authorization]"},
		{"authorization splunk", `{"Authorization":"Splunk 12345678-abcd-1234-abcd-1234567890ab"}`, "12345678-abcd-1234-abcd-1234567890ab",
			`{"Authorization":"Splunk [REDACTED:authorization]"}`},
		{"authorization digest", `Authorization: Digest username="bob", response="6629fae49393a05397450978507c4ef1"`, "6629fae49393a05397450978507c4ef1", ""},
		{"authentication header", "Authentication: Bearer abcdef123456", "abcdef123456", ""},
		{"sig", "GET https://acct.blob.core.windows.net/c/b?sv=2022-11-02&sig=Zm9vYmFyYmF6%2Bqux&se=2026", "Zm9vYmFyYmF6%2Bqux", ""},
		{"x-amz-signature", "https://b.s3.amazonaws.com/k?X-Amz-Date=20260101T000000Z&X-Amz-Signature=fe5f80f77d5fa3beca038a248ff027d0445342fe2855ddc963176630326f1024",
			"fe5f80f77d5fa3beca038a248ff027d0445342fe2855ddc963176630326f1024", ""},
		{"token query", "https://example.com/reset?token=Zx9kQ2pL7mN4&lang=en", "Zx9kQ2pL7mN4", "https://example.com/reset?token=[REDACTED:secret]&lang=en"},
		{"curl -u", "curl -u admin:hunter2 https://api.example.com", "hunter2", "curl -u admin:[REDACTED:url_password] https://api.example.com"},
		{"curl --user", `curl --user "deploy:s3cr3t pass" https://x`, "s3cr3t", ""},
		{"flag", "exec: app --password hunter2 --verbose", "hunter2", "exec: app --password [REDACTED:secret] --verbose"},
		{"flag api key", "terraform apply --api-key=k-123456 --client-secret abc987xyz", "abc987xyz", ""},
	})
}

// TestKeyNames covers the keys that name a secret beyond the exact list (issue 12 item 7):
// plurals, header names, short names and compound keys.
func TestKeyNames(t *testing.T) {
	r := newTestRedact(t, Config{})
	for _, c := range []struct {
		key  string
		v    attribute.Value
		kind Kind
	}{
		{"passwords", attribute.StringSliceValue([]string{"hunter2", "hunter3"}), KindSecret},
		{"secrets", attribute.StringValue("s3cr3t-value"), KindSecret},
		{"api_keys", attribute.StringValue("k-123,k-456"), KindSecret},
		{"tokens", attribute.StringSliceValue([]string{"abcdef123"}), KindSecret},
		{"Authentication", attribute.StringValue("Bearer abc"), KindAuthHeader},
		{"X-Auth-Token", attribute.StringValue("abc"), KindSecret},
		{"Ocp-Apim-Subscription-Key", attribute.StringValue("0123456789abcdef"), KindSecret},
		{"pw", attribute.StringValue("hunter2"), KindSecret},
		{"passcode", attribute.StringValue("112233"), KindSecret},
		{"password_hash", attribute.StringValue("$2a$10$N9qo8uLOickgx2ZMRZoMye"), KindSecret},
		{"passwordHash", attribute.StringValue("$2a$10$N9qo8uLOickgx2ZMRZoMye"), KindSecret},
		{"signature", attribute.StringValue("t=1,v1=5257a869"), KindSecret},
		{"card_cvc", attribute.IntValue(123), KindCVV},
		{"billing_cvv2", attribute.StringValue("123"), KindCVV},
		{"billingCvv2", attribute.StringValue("123"), KindCVV},
		{"customer_ssn", attribute.StringValue("123456789"), KindSSN},
		{"user_iban", attribute.StringValue("DE89370400440532013000"), KindIBAN},
		{"sin", attribute.StringValue("046454286"), KindSIN},
		{"dni", attribute.StringValue("12345678Z"), KindDNI},
		{"cpf", attribute.StringValue("52998224725"), KindCPF},
		{"aadhaar", attribute.StringValue("234123412346"), KindAadhaar},
		{"national_id", attribute.StringValue("AB1234567"), KindNationalID},
		{"tax_id", attribute.StringValue("12-3456789"), KindNationalID},
		{"bsn", attribute.IntValue(111222333), KindBSN},
		{"private_key_id", attribute.StringValue("5f3e1c2a9b8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f"), KindGCPKeyID},
	} {
		out, keep, _ := r.KeyValue(attribute.KeyValue{Key: attribute.Key(c.key), Value: c.v})
		if !keep || out.Value.AsString() != placeholder(c.kind) {
			t.Errorf("%s=%s: got %s, want %s", c.key, c.v.String(), out.Value.String(), placeholder(c.kind))
		}
	}
	// Keys about a secret, not holding one, and counts.
	for _, kv := range []attribute.KeyValue{
		attribute.Int("tokens", 1200), attribute.String("tokens", "1200"), attribute.Int("passwords", 3),
		attribute.String("token_type", "Bearer"), attribute.String("password_changed_at", "2026-01-02"),
		attribute.String("secret_name", "db-creds"), attribute.String("password_policy", "strong"),
		attribute.Int("token_usage", 1532), attribute.String("signature_method", "HMAC-SHA256"),
		attribute.String("caliban", "a play"), attribute.String("timespan", "3s"), attribute.String("password_file", "/run/secrets/db"),
	} {
		if out, _, _ := r.KeyValue(kv); out != kv {
			t.Errorf("%s=%s changed to %s", kv.Key, kv.Value.String(), out.Value.String())
		}
	}
	for _, s := range []string{"tokens: 5", "tokens=1200", `{"tokens":1200}`, "passwords: 3"} {
		if got := r.String(s); got != s {
			t.Errorf("%q changed to %q", s, got)
		}
	}
	if got, _ := r.JSON([]byte(`{"tokens":1200,"secrets":["s3cr3t"]}`)); string(got) != `{"tokens":1200,"secrets":"[REDACTED:secret]"}` {
		t.Errorf("JSON: %s", got)
	}
}

// TestNationalIDs covers government IDs by value, each with its check digit, and the same
// shapes with a wrong one.
func TestNationalIDs(t *testing.T) {
	r := newTestRedact(t, Config{})
	checkCases(t, r, []redactCase{
		{"canada sin", "SIN 130 692 544 on file", "130 692 544", "SIN [REDACTED:sin] on file"},
		{"canada sin dashed", "sin 130-692-544", "130-692-544", ""},
		{"spain dni", "DNI 12345678Z", "12345678Z", "DNI [REDACTED:dni]"},
		{"spain dni dashed", "dni 12345678-Z.", "12345678-Z", ""},
		{"spain nie", "NIE X1234567L", "X1234567L", "NIE [REDACTED:dni]"},
		{"brazil cpf", "CPF 529.982.247-25", "529.982.247-25", "CPF [REDACTED:cpf]"},
		{"brazil cnpj", "CNPJ 11.222.333/0001-81", "11.222.333/0001-81", "CNPJ [REDACTED:cnpj]"},
		{"india aadhaar", "aadhaar 2341 2341 2346", "2341 2341 2346", "aadhaar [REDACTED:aadhaar]"},
		{"india pan", "PAN ABCPE1234F", "ABCPE1234F", "PAN [REDACTED:india_pan]"},
		{"india pan alone", "ABCPE1234F", "ABCPE1234F", "[REDACTED:india_pan]"},
		{"france nir", "NIR 184127645108946", "184127645108946", "NIR [REDACTED:nir]"},
		{"france nir spaced", "nir 1 84 12 76 451 089 46", "1 84 12 76 451 089 46", ""},
		{"italy codice fiscale", "CF RSSMRA85T10A562S", "RSSMRA85T10A562S", "CF [REDACTED:codice_fiscale]"},
		{"australia tfn", "TFN 123 456 782", "123 456 782", "TFN [REDACTED:tfn]"},
		{"netherlands bsn by key", "bsn=111222333", "111222333", "bsn=[REDACTED:bsn]"},
		{"us ssn undashed by key", `{"ssn":"078051120"}`, "078051120", ""},
		{"uk nino", "NI AB 12 34 56 C", "AB 12 34 56 C", ""},
	})
	for _, s := range []string{
		"SIN 130 692 545", "DNI 12345678A", "NIE X1234567A", "CPF 529.982.247-26", "CNPJ 11.222.333/0001-82",
		"aadhaar 2341 2341 2347", "PAN ABCDE1234F", "NIR 184127645108947", "CF RSSMRA85T10A562T", "TFN 123 456 783",
		"order 111222333 shipped", "ref GB123456A", "ref BG123456A", "card 6011 5831 0141 7015", "imei 356938035643809",
		"sin 111222333 embargo", "BSN 1234", // a short key word in lower case is a word; an ID has six digits or more
	} {
		if got := r.String(s); got != s {
			t.Errorf("%q changed to %q", s, got)
		}
	}
}

// TestValidators checks the check-digit functions on published examples.
func TestValidators(t *testing.T) {
	for _, c := range []struct {
		name  string
		valid func([]byte) bool
		good  []string
		bad   []string
	}{
		{"tfn", tfnValid, []string{"123456782", "876543210"}, []string{"123456789"}},
		{"cpf", cpfValid, []string{"52998224725", "11144477735"}, []string{"52998224726", "11111111111"}},
		{"cnpj", cnpjValid, []string{"11222333000181"}, []string{"11222333000182", "00000000000000"}},
		{"aadhaar", verhoeffValid, []string{"234123412346"}, []string{"234123412347"}},
		{"luhn", luhn, []string{"130692544", "4111111111111111"}, []string{"130692545"}},
	} {
		for _, s := range c.good {
			if !c.valid([]byte(s)) {
				t.Errorf("%s: %s rejected", c.name, s)
			}
		}
		for _, s := range c.bad {
			if c.valid([]byte(s)) {
				t.Errorf("%s: %s accepted", c.name, s)
			}
		}
	}
	if !dniValid([]byte("12345678"), 'Z') || dniValid([]byte("12345678"), 'A') {
		t.Error("dni: 12345678Z")
	}
	if !validCodiceFiscale("RSSMRA85T10A562S") || validCodiceFiscale("RSSMRA85T10A562T") {
		t.Error("codice fiscale: RSSMRA85T10A562S")
	}
}

// TestVendorTokens covers the fixed-prefix credentials of more vendors, in their public
// formats, and lookalikes that stay.
func TestVendorTokens(t *testing.T) {
	r := newTestRedact(t, Config{})
	for _, c := range []struct {
		kind  Kind
		token string
	}{
		{KindShopifyToken, "shpat_" + strings.Repeat("0a1b2c3d", 4)},
		{KindDOToken, "dop_v1_" + strings.Repeat("0a1b2c3d", 8)},
		{KindHFToken, "hf_" + "AbCdEfGhIjKlMnOpQrStUvWxYzAbCdEfGh"},
		{KindDatabricks, "dapi" + strings.Repeat("0a1b2c3d", 4)},
		{KindDoppler, "dp.pt." + strings.Repeat("Ab1", 14) + "x"},
		{KindLinearKey, "lin_api_" + strings.Repeat("Ab12", 10)},
		{KindAtlassian, "ATATT3xFfGF0" + strings.Repeat("aB3_-", 36) + "=0A1B2C3D"},
		{KindPostmanKey, "PMAK-" + strings.Repeat("0a1b2c", 4) + "-" + strings.Repeat("0a", 17)},
		{KindGrafanaToken, "glsa_" + strings.Repeat("Ab12", 8) + "_0a1b2c3d"},
		{KindGrafanaToken, "glc_" + strings.Repeat("eyJvIjoiMTIzNCIsIm4iOiJ", 3)},
		{KindSentryToken, "sntryu_" + strings.Repeat("0a1b2c3d", 8)},
		{KindNewRelicKey, "NRAK-" + "ABCDEFGHIJ0123456789KLMNOPQ"},
		{KindTwilioKey, "SK" + strings.Repeat("0a1b2c3d", 4)},
		{KindMailgunKey, "key-" + strings.Repeat("0a1b2c3d", 4)},
		{KindSquareToken, "sq0atp-" + "AbCdEfGhIjKlMnOpQrStUv"},
		{KindSquareToken, "EAAA" + strings.Repeat("Ab1-", 15)},
		{KindHerokuKey, "HRKU-AA" + strings.Repeat("Ab1_", 14) + "xy"},
		{KindDiscordToken, "MTk4NjIyNDgzNDcxOTI1MjQ4.Cl2FMQ.ZnCjm1XVW7vRze4b7Cq4se7kKWs"},
		{KindTelegramBot, "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw1"},
		{KindGoogleOAuth, "GOCSPX-" + "AbCdEfGhIjKlMnOpQrStUvWx1234"},
	} {
		for _, line := range []string{c.token, "using " + c.token + " now", `{"note":"` + c.token + `"}`, "X-Debug: " + c.token} {
			got := r.String(line)
			if strings.Contains(got, c.token) || !strings.Contains(got, placeholder(c.kind)) {
				t.Errorf("%s: %q -> %q", c.kind, line, got)
			}
		}
	}
	for _, s := range []string{
		"SKU-12345678 restocked", "key-value store ready", "hf_hub_download failed", "shpat_0a1b short",
		"dapi is not hex", "uptime 123456789:AAbc", "SK" + strings.Repeat("0a1b2c3d", 5),
	} {
		if got := r.String(s); got != s {
			t.Errorf("%q changed to %q", s, got)
		}
	}
}

// TestPrecision: words that name a scheme or a type, and things shaped like secrets that
// are not, stay as they are.
func TestPrecision(t *testing.T) {
	r := newTestRedact(t, Config{})
	for _, s := range []string{
		"token_type=Bearer", "unsupported auth scheme: Bearer", `{"token_type":"Bearer","expires_in":3600}`,
		"authorization: none", "password: required", "the password is incorrect", "token is expired",
		"git@github.com:acme/app.git", "cloning ssh://git@gitlab.com/acme/app.git", "connecting to app@tcp(db:3306)/orders",
		"curl -u admin https://api.example.com", "ISBN 978-3-16-148410-0", "imei=356938035643809",
		"trace_id=a5634e227084f14aa3d7c4be697b46ad span_id=f47fcf5817def6a5",
		"image ghcr.io/acme/app@sha256:9b2a4f1e5c3d7a8b0e6f4c2d1a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a1b",
		"build v1.2.3+build.5 version=1.27.4-gke.1200", "--password-file /run/secrets/db", "this is fine",
	} {
		if got := r.String(s); got != s {
			t.Errorf("%q changed to %q", s, got)
		}
	}
}

// TestPreScanOnGeneratedCorpus keeps the fast path and the full scan in step on every line
// of the generated corpus, and checks that no positive is skipped by the pre-scan.
func TestPreScanOnGeneratedCorpus(t *testing.T) {
	pos, neg := corpus.Generate(corpus.Seed)
	for _, s := range append(pos, neg...) {
		if got, want := mayContain(s.Line), scanFlags(s.Line)&worthScanning != 0; got != want {
			t.Errorf("mayContain(%q) = %v, scanFlags says %v", s.Line, got, want)
		}
	}
	for _, s := range pos {
		if !mayContain(s.Line) {
			t.Errorf("%s: %q skipped by the pre-scan", s.Kind, s.Line)
		}
	}
}

// FuzzDetectors starts from every line of the generated corpus: redaction is idempotent
// and keeps valid UTF-8 valid, whatever the detectors find.
func FuzzDetectors(f *testing.F) {
	pos, neg := corpus.Generate(corpus.Seed)
	for _, s := range append(pos, neg...) {
		f.Add(s.Line)
	}
	r, err := New(Config{})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, s string) {
		once := r.String(s)
		if twice := r.String(once); twice != once {
			t.Errorf("not idempotent: %q -> %q -> %q", s, once, twice)
		}
		if utf8.ValidString(s) && !utf8.ValidString(once) {
			t.Errorf("valid UTF-8 in, invalid out: %q -> %q", s, once)
		}
	})
}

// TestCardNextToNumbers: a card written after or before other digit groups is still
// found (the fuzzer found "a@0.000 4111111111111111" masked only on a second pass).
func TestCardNextToNumbers(t *testing.T) {
	checkCases(t, newTestRedact(t, Config{}), []redactCase{
		{"after a decimal", "a@0.000 4111111111111111", "4111111111111111", "[REDACTED:email] ****1111"},
		{"after a group", "qty 000 4111 1111 1111 1111", "4111 1111 1111 1111", "qty 000 ****1111"},
		{"before a group", "4111-1111-1111-1111-0000 ref", "4111-1111-1111-1111", "****1111-0000 ref"},
	})
}

// TestPassphrases: a secret key that starts its line, then ':', masks the words that
// make up the rest of the line, and no more than that.
func TestPassphrases(t *testing.T) {
	checkCases(t, newTestRedact(t, Config{}), []redactCase{
		{"yaml", "password: correct horse battery staple", "horse battery staple", "password: [REDACTED:secret]"},
		{"yaml list, next line kept", "  - passphrase: open sesame now\nuser: bob", "sesame now", "  - passphrase: [REDACTED:secret]\nuser: bob"},
		{"full stop", "password: correct horse battery.", "battery", "password: [REDACTED:secret]"},
		{"another key follows", "password: hunter2 user=bob", "hunter2", "password: [REDACTED:secret] user=bob"},
		{"column gap", "password: hunter2   ok", "hunter2", "password: [REDACTED:secret]   ok"},
		{"mid-line key: one word", "login password: hunter2 rejected", "hunter2", "login password: [REDACTED:secret] rejected"},
		{"logfmt", "password=hunter2 from bob", "hunter2", "password=[REDACTED:secret] from bob"},
		{"own mask", "password: [REDACTED:secret] kept as is", "hunter2", "password: [REDACTED:secret] kept as is"},
	})
	r := newTestRedact(t, Config{})
	for _, s := range []string{"password: required for login", "password: none set yet", "password: (none)"} {
		if got := r.String(s); got != s {
			t.Errorf("%q changed to %q", s, got)
		}
	}
}

// TestCommandPasswords: passwords given to known commands as arguments, and the same
// flags where they mean something else.
func TestCommandPasswords(t *testing.T) {
	checkCases(t, newTestRedact(t, Config{}), []redactCase{
		{"mysql attached", "mysql -uroot -pMyS3cretPw app", "MyS3cretPw", "mysql -uroot -p[REDACTED:secret] app"},
		{"mysqldump in a path", "/usr/bin/mysqldump -h db -pS3cret42 shop > dump.sql", "S3cret42", ""},
		{"sshpass", "sshpass -p 'Ssh!Pass42' ssh deploy@web1", "Ssh!Pass42", "sshpass -p '[REDACTED:secret]' ssh deploy@web1"},
		{"docker login", "docker login -u ci -p hunter2 registry", "hunter2", "docker login -u ci -p [REDACTED:secret] registry"},
		{"openssl -k", "openssl enc -aes-256-cbc -k Op3nSslPw -in a", "Op3nSslPw", ""},
		{"openssl pass:", "openssl pkcs12 -export -passout pass:Exp0rtPw -out a.p12", "Exp0rtPw", ""},
		{"htpasswd", "htpasswd -b /etc/nginx/.htpasswd admin Ng1nxPw", "Ng1nxPw", "htpasswd -b /etc/nginx/.htpasswd admin [REDACTED:secret]"},
		{"htpasswd -nb", "htpasswd -nbB admin Ng1nxPw", "Ng1nxPw", "htpasswd -nbB admin [REDACTED:secret]"},
	})
	r := newTestRedact(t, Config{})
	for _, s := range []string{
		"mysql -p app", "mysql -P3306 -h db app", "docker run -p 8080:80 nginx", "podman ps -p 1234",
		"openssl -pass env:PW", "htpasswd -c /etc/.htpasswd admin", "sshpass -f /run/pw ssh host", "mysqlx -p",
	} {
		if got := r.String(s); got != s {
			t.Errorf("%q changed to %q", s, got)
		}
	}
}

// TestNamedValues: a key and its value as two attributes of one element.
func TestNamedValues(t *testing.T) {
	checkCases(t, newTestRedact(t, Config{}), []redactCase{
		{"appSettings", `<add key="ApiKey" value="9f8e7d6c5b4a39281706"/>`, "9f8e7d6c5b4a", `<add key="ApiKey" value="[REDACTED:secret]"/>`},
		{"param", `<param name='db.password' value='hunter2'/>`, "hunter2", `<param name='db.password' value='[REDACTED:secret]'/>`},
	})
	r := newTestRedact(t, Config{})
	for _, s := range []string{`<add key="Timeout" value="30"/>`, `<input name="password" value=""/>`, `value="x"`, `<add key="PasswordLength" value="12"/>`} {
		if got := r.String(s); got != s {
			t.Errorf("%q changed to %q", s, got)
		}
	}
}

// TestFlagsUnderCompoundKeys: a boolean under a compound secret key says whether there is
// a secret; under the secret key itself it is masked like any value.
func TestFlagsUnderCompoundKeys(t *testing.T) {
	r := newTestRedact(t, Config{})
	for _, kv := range []attribute.KeyValue{
		attribute.Bool("has_password", true), attribute.String("password_set", "false"), attribute.Bool("token_present", false),
	} {
		if out, _, _ := r.KeyValue(kv); out != kv {
			t.Errorf("%s=%s changed to %s", kv.Key, kv.Value.String(), out.Value.String())
		}
	}
	if out, _, _ := r.KeyValue(attribute.Bool("password", true)); out.Value.AsString() != "[REDACTED:secret]" {
		t.Errorf("password=true: got %s", out.Value.String())
	}
	for _, s := range []string{"has_password=true", `{"has_password":true}`, "password_expires_in=30d"} {
		if got := r.String(s); got != s {
			t.Errorf("%q changed to %q", s, got)
		}
	}
}
