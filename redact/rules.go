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

	// Payment.
	KindCard Kind = "card"
	KindCVV  Kind = "cvv"
	KindIBAN Kind = "iban"

	// Government IDs.
	KindSSN  Kind = "ssn"
	KindNINO Kind = "nino"

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
		Doc: "`key=value`, `key: value`, `\"key\":\"value\"` and `{Key:value}` pairs whose key is secret",
		Keys: []string{"password", "passwd", "pwd", "pass", "passphrase", "secret", "clientsecret", "appsecret",
			"token", "accesstoken", "refreshtoken", "idtoken", "authtoken", "bearertoken", "csrftoken", "xsrftoken",
			"apikey", "xapikey", "apisecret", "accesskey", "secretkey", "secretaccesskey", "awssecretaccesskey", "accountkey",
			"xauthtoken", "session", "sessionid", "sessid", "sid", "phpsessid", "jsessionid", "signingkey", "encryptionkey",
			"credentials", "credential", "connectionstring", "dsn", "otp", "pin", "mfacode", "totp"},
		KeySuffixes: []string{"password", "passwd", "secret", "secretkey", "token", "apikey", "sessionid", "accesskey", "credentials"}},
	{Kind: KindAuthHeader, Group: GroupCredentials,
		Doc:    "`Bearer` / `Basic` credentials",
		Keys:   []string{"authorization", "proxyauthorization"},
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
		Doc:    "URL passwords (`scheme://user:pass@`)",
		Detect: findURLPasswords, Needs: NeedSep},
	{Kind: KindJWT, Group: GroupCredentials,
		Doc:    "JWTs",
		Detect: findJWTs, Needs: NeedPrefix, Triggers: []string{"eyJ"}},
	{Kind: KindAWSKey, Group: GroupCredentials, Doc: "AWS key ids (`AKIA`, `ASIA`)",
		Tokens: []Token{{"AKIA", 20, isAlnum}, {"ASIA", 20, isAlnum}}},
	{Kind: KindGitHubToken, Group: GroupCredentials, Doc: "GitHub tokens (`ghp_ gho_ ghu_ ghs_ ghr_ github_pat_`)",
		Tokens: []Token{{"ghp_", 40, nil}, {"gho_", 40, nil}, {"ghu_", 40, nil}, {"ghs_", 40, nil}, {"ghr_", 40, nil}, {"github_pat_", 40, nil}}},
	{Kind: KindGitLabToken, Group: GroupCredentials, Doc: "GitLab tokens (`glpat-`)",
		Tokens: []Token{{"glpat-", 26, nil}}},
	{Kind: KindSlackToken, Group: GroupCredentials, Doc: "Slack tokens (`xoxb- xoxp- xoxa- xoxr- xoxs- xapp-`)",
		Tokens: []Token{{"xoxb-", 20, nil}, {"xoxp-", 20, nil}, {"xoxa-", 20, nil}, {"xoxr-", 20, nil}, {"xoxs-", 20, nil}, {"xapp-", 20, nil}}},
	{Kind: KindSlackWebhook, Group: GroupCredentials, Doc: "the secret path of Slack webhook URLs",
		Detect: findSlackWebhooks, Needs: NeedSep},
	{Kind: KindStripeKey, Group: GroupCredentials, Doc: "Stripe keys (`sk_live_ sk_test_ rk_live_ rk_test_`)",
		Tokens: []Token{{"sk_live_", 20, nil}, {"sk_test_", 20, nil}, {"rk_live_", 20, nil}, {"rk_test_", 20, nil}}},
	{Kind: KindAnthropicKey, Group: GroupCredentials, Doc: "Anthropic keys (`sk-ant-`)",
		Tokens: []Token{{"sk-ant-", 40, nil}}},
	{Kind: KindOpenAIKey, Group: GroupCredentials, Doc: "OpenAI keys (`sk-proj-`, `sk-svcacct-`, `sk-`)",
		Tokens: []Token{{"sk-proj-", 40, nil}, {"sk-svcacct-", 40, nil}, {"sk-", 40, nil}}},
	{Kind: KindGoogleAPIKey, Group: GroupCredentials, Doc: "Google API keys (`AIza`)",
		Tokens: []Token{{"AIza", 39, nil}}},
	{Kind: KindVaultToken, Group: GroupCredentials, Doc: "Vault tokens (`hvs.`, `hvb.`)",
		Tokens: []Token{{"hvs.", 28, nil}, {"hvb.", 28, nil}}},
	{Kind: KindNPMToken, Group: GroupCredentials, Doc: "npm tokens (`npm_`)",
		Tokens: []Token{{"npm_", 40, nil}}},
	{Kind: KindPyPIToken, Group: GroupCredentials, Doc: "PyPI tokens (`pypi-`)",
		Tokens: []Token{{"pypi-", 60, nil}}},
	{Kind: KindSendGridKey, Group: GroupCredentials, Doc: "SendGrid keys (`SG.`)",
		Tokens: []Token{{"SG.", 60, tokenOrDot}}},

	{Kind: KindCard, Group: GroupPayment,
		Doc:  "card numbers (13–19 digits, spaces or dashes, brand prefix and Luhn), also as numbers",
		Keys: []string{"cardnumber", "ccnumber", "creditcard", "creditcardnumber", "pan", "cardno"}, KeySuffixes: []string{"cardnumber"},
		Detect: findCards, Needs: NeedDigits, Validate: validCard, NumberDigits: 13, Mask: MaskLast4},
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
