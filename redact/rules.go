package redact

import (
	"slices"
	"strconv"
	"strings"
)

// Kind names what a redacted value was; it appears in placeholders: [REDACTED:<kind>].
type Kind string

// The built-in kinds; each is one entry of the rule table (see [Rules]).
const (
	KindNone Kind = ""

	// Credentials.
	KindSecret       Kind = "secret" // a value under a secret key (password, token, api_key…)
	KindAuthHeader   Kind = "authorization"
	KindCookie       Kind = "cookie"
	KindPrivateKey   Kind = "private_key"
	KindURLPassword  Kind = "url_password"
	KindJWT          Kind = "jwt"
	KindAWSKey       Kind = "aws_key"
	KindGitHubToken  Kind = "github_token"
	KindGitLabToken  Kind = "gitlab_token"
	KindSlackToken   Kind = "slack_token"
	KindSlackWebhook Kind = "slack_webhook"
	KindStripeKey    Kind = "stripe_key"
	KindOpenAIKey    Kind = "openai_key"
	KindAnthropicKey Kind = "anthropic_key"
	KindGoogleAPIKey Kind = "google_api_key"
	KindVaultToken   Kind = "vault_token"
	KindNPMToken     Kind = "npm_token"
	KindPyPIToken    Kind = "pypi_token"
	KindSendGridKey  Kind = "sendgrid_key"
	KindShopifyToken Kind = "shopify_token"
	KindDOToken      Kind = "digitalocean_token"
	KindHFToken      Kind = "huggingface_token"
	KindDatabricks   Kind = "databricks_token"
	KindDoppler      Kind = "doppler_token"
	KindLinearKey    Kind = "linear_key"
	KindAtlassian    Kind = "atlassian_token"
	KindPostmanKey   Kind = "postman_key"
	KindGrafanaToken Kind = "grafana_token"
	KindSentryToken  Kind = "sentry_token"
	KindNewRelicKey  Kind = "newrelic_key"
	KindTwilioKey    Kind = "twilio_key"
	KindMailgunKey   Kind = "mailgun_key"
	KindSquareToken  Kind = "square_token"
	KindHerokuKey    Kind = "heroku_key"
	KindDiscordToken Kind = "discord_token"
	KindTelegramBot  Kind = "telegram_token"
	KindGoogleOAuth  Kind = "google_oauth_secret"
	KindGCPKeyID     Kind = "gcp_private_key_id"

	// Payment.
	KindCard Kind = "card"
	KindCVV  Kind = "cvv"
	KindIBAN Kind = "iban"

	// Government IDs.
	KindSSN        Kind = "ssn"            // US social security number
	KindNINO       Kind = "nino"           // UK National Insurance number
	KindSIN        Kind = "sin"            // Canada social insurance number
	KindTFN        Kind = "tfn"            // Australia tax file number
	KindDNI        Kind = "dni"            // Spain DNI and NIE
	KindCPF        Kind = "cpf"            // Brazil, people
	KindCNPJ       Kind = "cnpj"           // Brazil, companies
	KindAadhaar    Kind = "aadhaar"        // India
	KindIndiaPAN   Kind = "india_pan"      // India permanent account number
	KindNIR        Kind = "nir"            // France social security number
	KindBSN        Kind = "bsn"            // Netherlands citizen service number
	KindCodiceFisc Kind = "codice_fiscale" // Italy
	KindNationalID Kind = "national_id"    // any other, by key (national_id, tax_id…)

	// Contact PII.
	KindEmail Kind = "email"
	KindPhone Kind = "phone"

	// Bounds: values too large or too deeply nested to inspect are replaced whole.
	KindTooLarge Kind = "too_large"
	KindTooDeep  Kind = "too_deep"
)

// Group is a set of rules that can be switched off together.
type Group int

// Rule groups; all are on by default.
const (
	GroupCredentials  Group = iota // keys and tokens, JWTs, private keys, auth headers, cookies, URL passwords
	GroupPayment                   // card numbers, CVVs, IBANs
	GroupGovernmentID              // national identity and tax numbers
	GroupContact                   // e-mail addresses, phone numbers
	numGroups
)

// String returns the group's name, as the CLI's -off flag and the README spell it.
func (g Group) String() string {
	switch g {
	case GroupCredentials:
		return "credentials"
	case GroupPayment:
		return "payment"
	case GroupGovernmentID:
		return "government"
	case GroupContact:
		return "contact"
	}
	return "group(" + strconv.Itoa(int(g)) + ")"
}

// Mask says how a redacted value is replaced.
type Mask int

const (
	// MaskPlaceholder writes [REDACTED:<kind>] (the default, except for cards).
	MaskPlaceholder Mask = iota
	// MaskLast4 keeps the last four digits: ****4242 (the default for cards).
	MaskLast4
	// MaskHMAC writes [HMAC:<kind>:<16 hex digits>], a keyed HMAC-SHA256 pseudonym: the
	// same value gives the same pseudonym in every record, so it can be correlated
	// without being revealed. Needs Config.HMACKey.
	MaskHMAC
	// MaskDrop removes an attribute whose key is secret; inside text it writes the
	// placeholder.
	MaskDrop
)

// Needs says what a string must hold for a rule's detector to be worth running; the
// engine reads each string once to find out (see scanFlags).
type Needs int

const (
	NeedDigits Needs = 1 << iota // six digits or more
	NeedAt                       // '@'
	NeedSep                      // '=' or ':'
	NeedPrefix                   // one of the rules' Triggers or Tokens prefixes at a word start
	NeedPlus                     // '+'
	NeedUpper2                   // two capital letters in a row
)

// Span is a piece of a string to mask, as a detector reports it.
type Span struct {
	Start, End int
	Kind       Kind
}

// Token is a credential recognised by a fixed prefix: the token runs on over Charset
// characters (letters, digits, '_' and '-' when nil) and is at least Min bytes long,
// prefix included.
type Token struct {
	Prefix  string
	Min     int
	Charset func(byte) bool
	// Max, when set, is the longest such token: a longer run, or one that a letter, digit,
	// '_' or '-' continues, is something else (for short or common prefixes: SK, key-).
	Max int
}

// Rule is one kind of secret: everything the engine, the README table and the tests know
// about it. Adding a kind is adding one Rule to the table (and its corpus lines).
type Rule struct {
	Kind  Kind
	Group Group
	// Doc says what the value detection catches, for the README table ("" if nothing
	// beyond the keys).
	Doc string
	// Keys are the key names whose values are this kind, normalised (lower case, without
	// '-', '_', '.', ' '); KeySuffixes catch compound keys ending with them (db_password).
	Keys, KeySuffixes []string
	// Tokens are fixed-prefix credentials found anywhere in text.
	Tokens []Token
	// Detect appends the candidates it finds in s to out, with this rule's Kind; it runs
	// only when s holds what Needs says, and Triggers are words (matched without regard
	// to case at a word start) that set NeedPrefix.
	Detect   func(s string, out []Span) []Span
	Needs    Needs
	Triggers []string
	// Validate, when set, confirms a candidate of Detect (a checksum, a structure rule);
	// candidates it rejects are left alone.
	Validate func(candidate string) bool
	// NumberDigits > 0 means numbers (of any type) with at least that many digits are
	// checked too: the decimal digits are masked when Detect and Validate accept them
	// whole.
	NumberDigits int
	// Mask is the default mask (MaskPlaceholder when zero).
	Mask Mask
}

// tokenChars is the default Token charset.
func tokenChars(c byte) bool { return isTokenChar(c) }

func tokenOrDot(c byte) bool { return isTokenChar(c) || c == '.' }

// rules is the table. Order matters only where two rules find the same span: the earlier
// one names it.
var rules = []Rule{
	{Kind: KindSecret, Group: GroupCredentials,
		Doc: "values under a secret key: `key=value`, `key = value`, `key: value`, `key：value`, key, tab, value, the value on the next line, " +
			"`\"key\":\"value\"`, `\\\"key\\\":\\\"value\\\"`, `{Key:value}`, `<key>value</key>`, `--key value`, `mysql -pX`, `sshpass -p X`, `docker login -p X`, `openssl -k X`, `htpasswd -b file user X`, " +
			"`key is value` (a value with a digit, an inner capital or a symbol)",
		Keys: []string{"password", "passwd", "pwd", "pass", "passphrase", "secret", "clientsecret", "appsecret",
			"token", "accesstoken", "refreshtoken", "idtoken", "authtoken", "bearertoken", "csrftoken", "xsrftoken",
			"apikey", "xapikey", "apisecret", "accesskey", "secretkey", "secretaccesskey", "awssecretaccesskey", "accountkey",
			"xauthtoken", "session", "sessionid", "sessid", "sid", "phpsessid", "jsessionid", "signingkey", "encryptionkey",
			"credentials", "credential", "connectionstring", "dsn", "otp", "pin", "mfacode", "totp",
			"passwords", "secrets", "apikeys", "tokens", "pw", "passcode", "passwordhash", "signature", "sig",
			"ocpapimsubscriptionkey", "subscriptionkey", "xamzsignature", "xgoogsignature"},
		KeySuffixes: []string{"password", "passwd", "secret", "secretkey", "token", "apikey", "sessionid", "accesskey", "credentials"}},
	{Kind: KindAuthHeader, Group: GroupCredentials,
		Doc:    "`Bearer` / `Basic` credentials anywhere; after `Authorization:` any scheme (`Token`, `Negotiate`, `ApiKey`, `SSWS`, `Splunk`, `Digest`…), the scheme word kept",
		Keys:   []string{"authorization", "proxyauthorization", "authentication"},
		Detect: findAuthSchemes, Needs: NeedPrefix,
		Triggers: []string{"bearer ", "basic "}},
	{Kind: KindCookie, Group: GroupCredentials,
		Doc:  "every value of a `Cookie:` / `Set-Cookie:` header",
		Keys: []string{"cookie", "setcookie"}},
	{Kind: KindPrivateKey, Group: GroupCredentials,
		Doc:  "PEM private keys (also with `\\n` escaped)",
		Keys: []string{"privatekey", "sshkey"}, KeySuffixes: []string{"privatekey"},
		Detect: findPEM, Needs: NeedPrefix, Triggers: []string{"-----BEGIN"}},
	{Kind: KindURLPassword, Group: GroupCredentials,
		Doc:    "URL passwords (`scheme://user:pass@`), DSNs without a scheme (`user:pass@tcp(host)/db`), `curl -u user:pass`",
		Detect: findUserPasswords, Needs: NeedSep},
	{Kind: KindJWT, Group: GroupCredentials,
		Doc:    "JWTs",
		Detect: findJWTs, Needs: NeedPrefix, Triggers: []string{"eyJ"}},
	{Kind: KindAWSKey, Group: GroupCredentials, Doc: "AWS key ids (`AKIA`, `ASIA`)",
		Tokens: []Token{{"AKIA", 20, isAlnum, 0}, {"ASIA", 20, isAlnum, 0}}},
	{Kind: KindGitHubToken, Group: GroupCredentials, Doc: "GitHub tokens (`ghp_ gho_ ghu_ ghs_ ghr_ github_pat_`)",
		Tokens: []Token{{"ghp_", 40, nil, 0}, {"gho_", 40, nil, 0}, {"ghu_", 40, nil, 0}, {"ghs_", 40, nil, 0}, {"ghr_", 40, nil, 0}, {"github_pat_", 40, nil, 0}}},
	{Kind: KindGitLabToken, Group: GroupCredentials, Doc: "GitLab tokens (`glpat-`)",
		Tokens: []Token{{"glpat-", 26, nil, 0}}},
	{Kind: KindSlackToken, Group: GroupCredentials, Doc: "Slack tokens (`xoxb- xoxp- xoxa- xoxr- xoxs- xapp-`)",
		Tokens: []Token{{"xoxb-", 20, nil, 0}, {"xoxp-", 20, nil, 0}, {"xoxa-", 20, nil, 0}, {"xoxr-", 20, nil, 0}, {"xoxs-", 20, nil, 0}, {"xapp-", 20, nil, 0}}},
	{Kind: KindSlackWebhook, Group: GroupCredentials, Doc: "the secret path of Slack webhook URLs",
		Detect: findSlackWebhooks, Needs: NeedSep},
	{Kind: KindStripeKey, Group: GroupCredentials, Doc: "Stripe keys and webhook signing secrets (`sk_live_ sk_test_ rk_live_ rk_test_ whsec_`)",
		Tokens: []Token{{"sk_live_", 20, nil, 0}, {"sk_test_", 20, nil, 0}, {"rk_live_", 20, nil, 0}, {"rk_test_", 20, nil, 0},
			{"whsec_", 30, nil, 0}}},
	{Kind: KindAnthropicKey, Group: GroupCredentials, Doc: "Anthropic keys (`sk-ant-`)",
		Tokens: []Token{{"sk-ant-", 40, nil, 0}}},
	{Kind: KindOpenAIKey, Group: GroupCredentials, Doc: "OpenAI keys (`sk-proj-`, `sk-svcacct-`, `sk-`)",
		Tokens: []Token{{"sk-proj-", 40, nil, 0}, {"sk-svcacct-", 40, nil, 0}, {"sk-", 40, nil, 0}}},
	{Kind: KindGoogleAPIKey, Group: GroupCredentials, Doc: "Google API keys (`AIza`)",
		Tokens: []Token{{"AIza", 39, nil, 0}}},
	{Kind: KindVaultToken, Group: GroupCredentials, Doc: "Vault tokens (`hvs.`, `hvb.`)",
		Tokens: []Token{{"hvs.", 28, nil, 0}, {"hvb.", 28, nil, 0}}},
	{Kind: KindNPMToken, Group: GroupCredentials, Doc: "npm tokens (`npm_`)",
		Tokens: []Token{{"npm_", 40, nil, 0}}},
	{Kind: KindPyPIToken, Group: GroupCredentials, Doc: "PyPI tokens (`pypi-`)",
		Tokens: []Token{{"pypi-", 60, nil, 0}}},
	{Kind: KindSendGridKey, Group: GroupCredentials, Doc: "SendGrid keys (`SG.`)",
		Tokens: []Token{{"SG.", 60, tokenOrDot, 0}}},

	// More vendors, in the public formats gitleaks documents.
	{Kind: KindShopifyToken, Group: GroupCredentials, Doc: "Shopify tokens (`shpat_ shpca_ shppa_ shpss_`)",
		Tokens: []Token{{"shpat_", 38, isHex, 38}, {"shpca_", 38, isHex, 38}, {"shppa_", 38, isHex, 38}, {"shpss_", 38, isHex, 38}}},
	{Kind: KindDOToken, Group: GroupCredentials, Doc: "DigitalOcean tokens (`dop_v1_ doo_v1_ dor_v1_`)",
		Tokens: []Token{{"dop_v1_", 71, isHex, 71}, {"doo_v1_", 71, isHex, 71}, {"dor_v1_", 71, isHex, 71}}},
	{Kind: KindHFToken, Group: GroupCredentials, Doc: "Hugging Face tokens (`hf_`, `api_org_`)",
		Tokens: []Token{{"hf_", 37, isAlpha, 37}, {"api_org_", 42, isAlpha, 42}}},
	{Kind: KindDatabricks, Group: GroupCredentials, Doc: "Databricks tokens (`dapi`)",
		Tokens: []Token{{"dapi", 36, isHex, 36}}},
	{Kind: KindDoppler, Group: GroupCredentials, Doc: "Doppler tokens (`dp.pt. dp.st. dp.ct. dp.sa. dp.scim. dp.audit.`)",
		Tokens: []Token{{"dp.pt.", 49, isAlnum, 0}, {"dp.st.", 49, nil, 0}, {"dp.ct.", 49, isAlnum, 0}, {"dp.sa.", 49, isAlnum, 0},
			{"dp.scim.", 51, isAlnum, 0}, {"dp.audit.", 52, isAlnum, 0}}},
	{Kind: KindLinearKey, Group: GroupCredentials, Doc: "Linear keys (`lin_api_`, `lin_oauth_`)",
		Tokens: []Token{{"lin_api_", 48, isAlnum, 0}, {"lin_oauth_", 74, isHex, 0}}},
	{Kind: KindAtlassian, Group: GroupCredentials, Doc: "Atlassian API tokens (`ATATT3`, `ATCTT3`)",
		Tokens: []Token{{"ATATT3", 150, atlassianChar, 0}, {"ATCTT3", 150, atlassianChar, 0}}},
	{Kind: KindPostmanKey, Group: GroupCredentials, Doc: "Postman keys (`PMAK-`)",
		Tokens: []Token{{"PMAK-", 64, hexOrDash, 64}}},
	{Kind: KindGrafanaToken, Group: GroupCredentials, Doc: "Grafana tokens (`glc_`, `glsa_`)",
		Tokens: []Token{{"glc_", 36, base64Char, 0}, {"glsa_", 46, nil, 0}}},
	{Kind: KindSentryToken, Group: GroupCredentials, Doc: "Sentry tokens (`sntrys_`, `sntryu_`)",
		Tokens: []Token{{"sntrys_", 50, base64Char, 0}, {"sntryu_", 71, isHex, 71}}},
	{Kind: KindNewRelicKey, Group: GroupCredentials, Doc: "New Relic keys (`NRAK- NRII- NRJS- NRAA-`)",
		Tokens: []Token{{"NRAK-", 32, isUpperAlnum, 32}, {"NRII-", 37, nil, 37}, {"NRJS-", 24, isHex, 24}, {"NRAA-", 32, isHex, 32}}},
	{Kind: KindTwilioKey, Group: GroupCredentials, Doc: "Twilio API keys (`SK` and 32 hex digits)",
		Tokens: []Token{{"SK", 34, isHex, 34}}},
	{Kind: KindMailgunKey, Group: GroupCredentials, Doc: "Mailgun keys (`key-`, `pubkey-` and 32 hex digits)",
		Tokens: []Token{{"key-", 36, isHex, 36}, {"pubkey-", 39, isHex, 39}}},
	{Kind: KindSquareToken, Group: GroupCredentials, Doc: "Square tokens (`sq0atp- sq0csp- EAAA`)",
		Tokens: []Token{{"sq0atp-", 29, nil, 0}, {"sq0csp-", 50, nil, 0}, {"EAAA", 64, nil, 0}}},
	{Kind: KindHerokuKey, Group: GroupCredentials, Doc: "Heroku keys (`HRKU-AA`)",
		Tokens: []Token{{"HRKU-AA", 65, nil, 65}}},
	{Kind: KindGoogleOAuth, Group: GroupCredentials, Doc: "Google OAuth client secrets (`GOCSPX-`)",
		Tokens: []Token{{"GOCSPX-", 35, nil, 0}}},
	{Kind: KindDiscordToken, Group: GroupCredentials, Doc: "Discord bot tokens",
		// A bot token starts with the base64 of the bot's numeric ID: M, N or O, then D, T, j or z.
		Detect: findDiscordTokens, Needs: NeedPrefix, Triggers: []string{"MT", "Mj", "Mz", "ND", "NT", "Nj", "Nz", "OD", "OT"}},
	{Kind: KindTelegramBot, Group: GroupCredentials, Doc: "Telegram bot tokens, also in API URLs (`/bot<token>/`)",
		Detect: findTelegramTokens, Needs: NeedSep | NeedDigits},
	{Kind: KindGCPKeyID, Group: GroupCredentials,
		Keys: []string{"privatekeyid"}},

	{Kind: KindCard, Group: GroupPayment,
		Doc:  "card numbers (13–19 digits, spaces or dashes, brand prefix and Luhn), also as numbers",
		Keys: []string{"cardnumber", "ccnumber", "creditcard", "creditcardnumber", "pan", "cardno"}, KeySuffixes: []string{"cardnumber"},
		Detect: findCards, Needs: NeedDigits, NumberDigits: 13, Mask: MaskLast4},
	{Kind: KindCVV, Group: GroupPayment,
		Keys: []string{"cvv", "cvc", "cvv2", "cvc2", "securitycode", "cardsecuritycode"}},
	{Kind: KindIBAN, Group: GroupPayment,
		Doc:    "IBANs (mod 97)",
		Keys:   []string{"iban"},
		Detect: findIBANs, Needs: NeedDigits | NeedUpper2, Validate: validIBAN},

	{Kind: KindSSN, Group: GroupGovernmentID,
		Doc:    "US SSNs `AAA-GG-SSSS` (SSA structure rules)",
		Keys:   []string{"ssn", "socialsecuritynumber"},
		Detect: findSSNs, Needs: NeedDigits, Validate: validSSN},
	{Kind: KindNINO, Group: GroupGovernmentID,
		Doc:    "UK NINOs",
		Keys:   []string{"nino", "nationalinsurancenumber"},
		Detect: findNINOs, Needs: NeedDigits | NeedUpper2},
	// Listed before SIN: a number valid as both is reported as a TFN.
	{Kind: KindTFN, Group: GroupGovernmentID,
		Doc:    "Australia TFNs `123 456 782` (weighted mod 11)",
		Keys:   []string{"tfn", "taxfilenumber"},
		Detect: shapes(KindTFN, "ddd ddd ddd"), Needs: NeedDigits, Validate: validTFN},
	{Kind: KindSIN, Group: GroupGovernmentID,
		Doc:    "Canada SINs `123 456 789`, `123-456-789` (Luhn)",
		Keys:   []string{"sin", "socialinsurancenumber"},
		Detect: shapes(KindSIN, "ddd ddd ddd", "ddd-ddd-ddd"), Needs: NeedDigits, Validate: validSIN},
	{Kind: KindDNI, Group: GroupGovernmentID,
		Doc:    "Spain DNIs `12345678Z` and NIEs `X1234567L` (mod-23 letter)",
		Keys:   []string{"dni", "nie", "nif"},
		Detect: shapes(KindDNI, "ddddddddL", "dddddddd-L", "XdddddddL"), Needs: NeedDigits, Validate: validDNI},
	{Kind: KindCPF, Group: GroupGovernmentID,
		Doc:    "Brazil CPFs `123.456.789-09` (check digits)",
		Keys:   []string{"cpf"},
		Detect: shapes(KindCPF, "ddd.ddd.ddd-dd"), Needs: NeedDigits, Validate: validCPF},
	{Kind: KindCNPJ, Group: GroupGovernmentID,
		Doc:    "Brazil CNPJs `12.345.678/0001-95` (check digits)",
		Keys:   []string{"cnpj"},
		Detect: shapes(KindCNPJ, "dd.ddd.ddd/dddd-dd"), Needs: NeedDigits, Validate: validCNPJ},
	{Kind: KindAadhaar, Group: GroupGovernmentID,
		Doc:    "India Aadhaar numbers `2345 6789 0123` (Verhoeff)",
		Keys:   []string{"aadhaar", "aadhar", "aadhaarnumber"},
		Detect: shapes(KindAadhaar, "dddd dddd dddd", "dddd-dddd-dddd"), Needs: NeedDigits, Validate: validAadhaar},
	{Kind: KindIndiaPAN, Group: GroupGovernmentID,
		Doc:    "India PANs `ABCPE1234F` (structure)",
		Keys:   []string{"pannumber"},
		Detect: shapes(KindIndiaPAN, "LLLLLddddL"), Needs: NeedDigits | NeedUpper2, Validate: validIndiaPAN},
	{Kind: KindNIR, Group: GroupGovernmentID,
		Doc:    "France NIRs, 15 digits, also spaced (mod 97)",
		Keys:   []string{"nir", "numerosecu"},
		Detect: shapes(KindNIR, "ddddddddddddddd", "d dd dd dd ddd ddd dd"), Needs: NeedDigits, Validate: validNIR},
	{Kind: KindCodiceFisc, Group: GroupGovernmentID,
		Doc:    "Italy codici fiscali `RSSMRA85T10A562S` (check letter)",
		Keys:   []string{"codicefiscale"},
		Detect: shapes(KindCodiceFisc, "LLLLLLaaLaaLaaaL"), Needs: NeedDigits | NeedUpper2, Validate: validCodiceFiscale},
	{Kind: KindBSN, Group: GroupGovernmentID,
		Keys: []string{"bsn", "burgerservicenummer"}},
	{Kind: KindNationalID, Group: GroupGovernmentID,
		Keys: []string{"nationalid", "nationalidnumber", "nationalidentifier", "taxid", "tin", "taxpayerid", "taxnumber",
			"passportnumber", "passportno", "personalidnumber"}},

	{Kind: KindEmail, Group: GroupContact,
		Doc:    "e-mail addresses",
		Detect: findEmails, Needs: NeedAt},
	{Kind: KindPhone, Group: GroupContact,
		Doc:    "international phone numbers (`+` and 7–15 digits)",
		Detect: findPhones, Needs: NeedPlus | NeedDigits},
}

// Rules returns a copy of the rule table, in the order the engine applies it (the
// entries' slices are shared: read them, do not modify them).
func Rules() []Rule { return slices.Clone(rules) }

// Derived from the table, once.
var (
	ruleOf       = map[Kind]*Rule{}
	placeholders = map[Kind]string{}
	// secretKeys and secretSuffixes are the key rules, by normalised key.
	secretKeys     = map[string]Kind{}
	secretSuffixes []keySuffix
	// tokensByFirst lists the token prefixes by first byte, longest first.
	tokensByFirst [256][]tokenRule
	// prefixesByFirst lists, by first byte lower-cased, every word that makes a string
	// worth scanning: token prefixes (matched exactly) and triggers (matched
	// case-insensitively).
	prefixesByFirst [256][]prefixWord
)

type keySuffix struct {
	suffix string
	kind   Kind
}

type tokenRule struct {
	Token
	kind Kind
}

type prefixWord struct {
	word string
	fold bool
}

func init() {
	for i := range rules {
		r := &rules[i]
		ruleOf[r.Kind] = r
		for _, k := range r.Keys {
			secretKeys[k] = r.Kind
		}
		for _, s := range r.KeySuffixes {
			secretSuffixes = append(secretSuffixes, keySuffix{s, r.Kind})
		}
		for _, t := range r.Tokens {
			if t.Charset == nil {
				t.Charset = tokenChars
			}
			tokensByFirst[t.Prefix[0]] = append(tokensByFirst[t.Prefix[0]], tokenRule{t, r.Kind})
			addPrefixWord(prefixWord{t.Prefix, false})
		}
		for _, w := range r.Triggers {
			addPrefixWord(prefixWord{strings.ToLower(w), true})
		}
	}
	addPrefixWord(prefixWord{"--", false}) // the engine's --key value form (see findFlags)
	for _, c := range commands {           // command-line passwords (see findCommandPasswords)
		addPrefixWord(prefixWord{c, false})
	}
	for _, k := range append(Kinds(), KindTooLarge, KindTooDeep) {
		placeholders[k] = "[REDACTED:" + string(k) + "]"
	}
	for i := range tokensByFirst {
		slices.SortStableFunc(tokensByFirst[i], func(a, b tokenRule) int { return len(b.Prefix) - len(a.Prefix) })
	}
}

func addPrefixWord(w prefixWord) {
	c := w.word[0]
	if w.fold {
		prefixesByFirst[lower(c)] = append(prefixesByFirst[lower(c)], w)
		prefixesByFirst[upper(c)] = append(prefixesByFirst[upper(c)], w)
		charClass[lower(c)], charClass[upper(c)] = clsPrefix, clsPrefix
		return
	}
	prefixesByFirst[c] = append(prefixesByFirst[c], w)
	charClass[c] = clsPrefix
}

func lower(c byte) byte {
	if isUpper(c) {
		return c + 'a' - 'A'
	}
	return c
}

func upper(c byte) byte {
	if c >= 'a' && c <= 'z' {
		return c - ('a' - 'A')
	}
	return c
}

// Kinds returns the kinds of the rule table, in its order.
func Kinds() []Kind {
	out := make([]Kind, len(rules))
	for i, r := range rules {
		out[i] = r.Kind
	}
	return out
}

// Group returns the rule group k belongs to; kinds outside the table (the user's own)
// belong to GroupCredentials.
func (k Kind) Group() Group {
	if r, ok := ruleOf[k]; ok {
		return r.Group
	}
	return GroupCredentials
}

// Placeholder returns [REDACTED:<k>].
func (k Kind) Placeholder() string { return placeholder(k) }

func placeholder(kind Kind) string {
	if p, ok := placeholders[kind]; ok {
		return p
	}
	return "[REDACTED:" + string(kind) + "]"
}
