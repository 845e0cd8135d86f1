package processor

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"go.opentelemetry.io/otel/attribute"
	sdklog "go.opentelemetry.io/otel/sdk/log"
)

// Kind names what a redacted value was; it appears in placeholders: [REDACTED:<kind>].
type Kind string

// The kinds resilog recognises, by rule group.
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
	GroupGovernmentID              // US SSNs, UK NINOs
	GroupContact                   // e-mail addresses, phone numbers
	numGroups
)

// Group returns the rule group k belongs to.
func (k Kind) Group() Group {
	switch k {
	case KindCard, KindCVV, KindIBAN:
		return GroupPayment
	case KindSSN, KindNINO:
		return GroupGovernmentID
	case KindEmail, KindPhone:
		return GroupContact
	}
	return GroupCredentials
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
	// without being revealed. Needs RedactConfig.HMACKey.
	MaskHMAC
	// MaskDrop removes an attribute whose key is secret; inside text it writes the
	// placeholder.
	MaskDrop
)

// Pattern is a user rule: every match of Regexp is masked as Kind.
type Pattern struct {
	Kind   Kind
	Regexp *regexp.Regexp
}

// RedactConfig configures [NewRedact]. The zero value is the documented default: every
// rule group on, built-in keys, cards masked to their last four digits, everything else
// to a placeholder.
type RedactConfig struct {
	// Off switches rule groups off.
	Off []Group
	// Keys adds secret keys, normalised like the built-in ones (case, '-', '_', '.'
	// folded). A key with a dot ("user.address") is a path: it matches that nested
	// attribute. The Kind ("" means KindSecret) picks the mask.
	Keys map[string]Kind
	// Allow lists keys that are never treated as secret by name (their values are still
	// scanned).
	Allow []string
	// Patterns adds value rules.
	Patterns []Pattern
	// Masks overrides the mask per kind.
	Masks map[Kind]Mask
	// HMACKey is the key of MaskHMAC pseudonyms.
	HMACKey []byte
	// MaxDepth bounds how deep nested maps and slices are walked (32); deeper values are
	// replaced with [REDACTED:too_deep].
	MaxDepth int
	// MaxString bounds the strings inspected (1 MiB); longer ones are replaced with
	// [REDACTED:too_large] rather than let through unread.
	MaxString int
}

// Redact removes secrets and personal data from records before any exporter sees them.
//
// It walks the body and every attribute, recursively through maps and slices (depth and
// size bounded). A value under a secret key (password, token, api_key, authorization,
// cookie, card_number, ssn…) is masked whole. Every other string is scanned for
// provider credentials (AWS, GitHub, GitLab, Slack, Stripe, OpenAI, Anthropic, Google,
// Vault, npm, PyPI, SendGrid), JWTs, PEM private keys, Bearer/Basic credentials, cookie
// values, URL passwords, secret key=value pairs in free text, card numbers (brand, length
// and Luhn), IBANs (mod 97), US SSNs, UK NINOs, e-mail addresses and international phone
// numbers. Redaction is idempotent: placeholders and masked values pass unchanged.
//
// A record without anything to redact is not modified and costs no allocation. Redact is
// safe for concurrent use.
type Redact struct {
	on         [numGroups]bool
	extraKeys  map[string]Kind // normalised
	extraPaths map[string]Kind // lower-cased dotted paths
	allow      map[string]bool // normalised
	patterns   []Pattern
	masks      map[Kind]Mask
	hmacKey    []byte
	maxDepth   int
	maxString  int

	keyCache atomic.Pointer[map[string]Kind]
	cacheMu  sync.Mutex
}

var _ sdklog.Processor = (*Redact)(nil)

// ErrInvalidRedactConfig is wrapped by NewRedact's errors.
var ErrInvalidRedactConfig = errors.New("invalid redaction configuration")

// NewRedact returns a Redact configured by c.
func NewRedact(c RedactConfig) (*Redact, error) {
	r := &Redact{
		extraKeys:  map[string]Kind{},
		extraPaths: map[string]Kind{},
		allow:      map[string]bool{},
		masks:      map[Kind]Mask{KindCard: MaskLast4},
		hmacKey:    c.HMACKey,
		maxDepth:   c.MaxDepth,
		maxString:  c.MaxString,
	}
	for g := range r.on {
		r.on[g] = true
	}
	for _, g := range c.Off {
		if g < 0 || g >= numGroups {
			return nil, fmt.Errorf("%w: unknown rule group %d", ErrInvalidRedactConfig, g)
		}
		r.on[g] = false
	}
	for k, kind := range c.Keys {
		if kind == KindNone {
			kind = KindSecret
		}
		if strings.Contains(k, ".") {
			r.extraPaths[strings.ToLower(k)] = kind
		} else {
			r.extraKeys[string(normalizeKey(nil, k))] = kind
		}
	}
	for _, k := range c.Allow {
		r.allow[string(normalizeKey(nil, k))] = true
	}
	for _, p := range c.Patterns {
		if p.Regexp == nil || p.Kind == KindNone {
			return nil, fmt.Errorf("%w: a pattern needs a Kind and a Regexp", ErrInvalidRedactConfig)
		}
	}
	r.patterns = c.Patterns
	for k, m := range c.Masks {
		if m < MaskPlaceholder || m > MaskDrop {
			return nil, fmt.Errorf("%w: unknown mask %d for %s", ErrInvalidRedactConfig, m, k)
		}
		if m == MaskHMAC && len(c.HMACKey) == 0 {
			return nil, fmt.Errorf("%w: MaskHMAC for %s needs an HMACKey", ErrInvalidRedactConfig, k)
		}
		r.masks[k] = m
	}
	if r.maxDepth <= 0 {
		r.maxDepth = 32
	}
	if r.maxString <= 0 {
		r.maxString = 1 << 20
	}
	return r, nil
}

// enabled returns kind if its group is on.
func (r *Redact) enabled(kind Kind) Kind {
	if !r.on[kind.Group()] {
		return KindNone
	}
	return kind
}

// Enabled returns true.
func (r *Redact) Enabled(context.Context, sdklog.EnabledParameters) bool { return true }

// Shutdown does nothing.
func (r *Redact) Shutdown(context.Context) error { return nil }

// ForceFlush does nothing.
func (r *Redact) ForceFlush(context.Context) error { return nil }

// OnEmit redacts rec in place.
func (r *Redact) OnEmit(_ context.Context, rec *sdklog.Record) error {
	if body, changed := r.value(rec.Body(), "", 0); changed {
		rec.SetBody(body)
	}
	if rec.AttributesLen() == 0 {
		return nil
	}
	// First pass: the cheap check skips clean attributes (the usual case) without copying
	// them; the others are redacted once and remembered by position.
	var memoBuf [8]memo
	memos := memoBuf[:0]
	i := 0
	rec.WalkAttributes(func(kv attribute.KeyValue) bool {
		if r.mayNeed(kv) {
			if out, keep, changed := r.kv(kv, "", 0); changed {
				memos = append(memos, memo{i, out, keep})
			}
		}
		i++
		return true
	})
	if len(memos) == 0 {
		return nil
	}
	// Second pass, only for records that hold something to redact: every attribute is
	// copied to buf as it is or as redacted; buf lives on the stack for up to 16.
	var buf [16]attribute.KeyValue
	attrs := buf[:0]
	i = 0
	rec.WalkAttributes(func(kv attribute.KeyValue) bool {
		if len(memos) > 0 && memos[0].index == i {
			if memos[0].keep {
				attrs = append(attrs, memos[0].kv)
			}
			memos = memos[1:]
		} else {
			attrs = append(attrs, kv)
		}
		i++
		return true
	})
	rec.SetAttributes(attrs...)
	return nil
}

// memo is a redacted attribute waiting for the second pass of OnEmit.
type memo struct {
	index int
	kv    attribute.KeyValue
	keep  bool
}

// mayNeed is the cheap check of OnEmit's first pass: false means kv is certainly left
// as it is.
func (r *Redact) mayNeed(kv attribute.KeyValue) bool {
	if len(r.extraPaths) > 0 || len(r.patterns) > 0 || r.keyKind(string(kv.Key)) != KindNone {
		return true
	}
	switch kv.Value.Type() {
	case attribute.STRING:
		s := kv.Value.AsString()
		return len(s) > r.maxString || mayContain(s)
	case attribute.INT64:
		n := kv.Value.AsInt64()
		return n >= 1e12 || n <= -1e12
	case attribute.BOOL, attribute.FLOAT64, attribute.EMPTY:
		return false
	}
	return true
}

// String returns s with every secret found in it masked.
func (r *Redact) String(s string) string {
	out, _ := r.text(s)
	return out
}

// Value returns v redacted as an attribute value (key rules apply inside maps).
func (r *Redact) Value(v attribute.Value) attribute.Value {
	out, _ := r.value(v, "", 0)
	return out
}

// KeyValue returns kv redacted, and false if its mask drops it.
func (r *Redact) KeyValue(kv attribute.KeyValue) (attribute.KeyValue, bool) {
	out, keep, _ := r.kv(kv, "", 0)
	return out, keep
}

func (r *Redact) kv(kv attribute.KeyValue, parent string, depth int) (attribute.KeyValue, bool, bool) {
	key := string(kv.Key)
	kind := r.keyKind(key)
	path := ""
	if len(r.extraPaths) > 0 {
		path = key
		if parent != "" {
			path = parent + "." + key
		}
		if kind == KindNone {
			kind = r.pathKind(path)
		}
	}
	if kind != KindNone {
		if kv.Value.Type() == attribute.STRING && alreadyMasked(kv.Value.AsString()) {
			return kv, true, false
		}
		mask := r.maskFor(kind)
		if mask == MaskDrop {
			return kv, false, true
		}
		return attribute.KeyValue{Key: kv.Key, Value: attribute.StringValue(r.maskSecret(kind, mask, valueText(kv.Value)))}, true, true
	}
	v, changed := r.value(kv.Value, path, depth)
	if !changed {
		return kv, true, false
	}
	return attribute.KeyValue{Key: kv.Key, Value: v}, true, true
}

// valueText is the text a masked value is derived from (last four digits, HMAC input).
func valueText(v attribute.Value) string {
	switch v.Type() {
	case attribute.STRING:
		return v.AsString()
	case attribute.INT64:
		return strconv.FormatInt(v.AsInt64(), 10)
	}
	return v.String()
}

func (r *Redact) value(v attribute.Value, path string, depth int) (attribute.Value, bool) {
	switch v.Type() {
	case attribute.STRING:
		s, changed := r.text(v.AsString())
		if !changed {
			return v, false
		}
		return attribute.StringValue(s), true
	case attribute.INT64:
		// A card number logged as an integer.
		n := v.AsInt64()
		if r.on[GroupPayment] && (n >= 1e12 || n <= -1e12) {
			s := strconv.FormatInt(n, 10)
			if spans := findCards(s, nil); len(spans) > 0 {
				return attribute.StringValue(r.maskSecret(KindCard, r.maskFor(KindCard), s)), true
			}
		}
		return v, false
	case attribute.MAP:
		if depth >= r.maxDepth {
			return attribute.StringValue(placeholder(KindTooDeep)), true
		}
		kvs := v.AsMap()
		changed := false
		out := kvs[:0]
		for _, kv := range kvs {
			nkv, keep, c := r.kv(kv, path, depth+1)
			changed = changed || c
			if keep {
				out = append(out, nkv)
			}
		}
		if !changed {
			return v, false
		}
		return attribute.MapValue(out...), true
	case attribute.SLICE:
		if depth >= r.maxDepth {
			return attribute.StringValue(placeholder(KindTooDeep)), true
		}
		vs := v.AsSlice()
		changed := false
		for i, e := range vs {
			if ne, c := r.value(e, path, depth+1); c {
				vs[i], changed = ne, true
			}
		}
		if !changed {
			return v, false
		}
		return attribute.SliceValue(vs...), true
	case attribute.STRINGSLICE:
		ss := v.AsStringSlice()
		changed := false
		for i, s := range ss {
			if ns, c := r.text(s); c {
				ss[i], changed = ns, true
			}
		}
		if !changed {
			return v, false
		}
		return attribute.StringSliceValue(ss), true
	}
	return v, false
}

// text redacts free text.
func (r *Redact) text(s string) (string, bool) {
	if len(s) > r.maxString {
		return placeholder(KindTooLarge), true
	}
	if !mayContain(s) && len(r.patterns) == 0 {
		return s, false // the body of a clean record ends here
	}
	var buf [8]span
	spans := r.findSpans(s, scanFlags(s), buf[:0])
	if len(spans) == 0 {
		return s, false
	}
	var b strings.Builder
	b.Grow(len(s))
	last := 0
	for _, sp := range spans {
		b.WriteString(s[last:sp.start])
		b.WriteString(r.maskSecret(sp.kind, r.maskFor(sp.kind), s[sp.start:sp.end]))
		last = sp.end
	}
	b.WriteString(s[last:])
	return b.String(), true
}

func (r *Redact) maskFor(kind Kind) Mask {
	if m, ok := r.masks[kind]; ok {
		return m
	}
	return MaskPlaceholder
}

// placeholders holds the built-in kinds' placeholders, so that masking them does not
// allocate.
var placeholders = func() map[Kind]string {
	m := map[Kind]string{}
	for _, k := range []Kind{KindSecret, KindAuthHeader, KindCookie, KindPrivateKey, KindURLPassword, KindJWT,
		KindAWSKey, KindGitHubToken, KindGitLabToken, KindSlackToken, KindSlackWebhook, KindStripeKey, KindOpenAIKey,
		KindAnthropicKey, KindGoogleAPIKey, KindVaultToken, KindNPMToken, KindPyPIToken, KindSendGridKey,
		KindCard, KindCVV, KindIBAN, KindSSN, KindNINO, KindEmail, KindPhone, KindTooLarge, KindTooDeep} {
		m[k] = "[REDACTED:" + string(k) + "]"
	}
	return m
}()

func placeholder(kind Kind) string {
	if p, ok := placeholders[kind]; ok {
		return p
	}
	return "[REDACTED:" + string(kind) + "]"
}

// maskSecret returns the replacement of secret under mask.
func (r *Redact) maskSecret(kind Kind, mask Mask, secret string) string {
	switch mask {
	case MaskLast4:
		var digits [4]byte
		n := 0
		for i := len(secret) - 1; i >= 0 && n < 4; i-- {
			if isDigit(secret[i]) {
				n++
				digits[4-n] = secret[i]
			}
		}
		if n < 4 {
			return placeholder(kind)
		}
		return "****" + string(digits[:])
	case MaskHMAC:
		h := hmac.New(sha256.New, r.hmacKey)
		h.Write([]byte(secret))
		return "[HMAC:" + string(kind) + ":" + hex.EncodeToString(h.Sum(nil))[:16] + "]"
	}
	return placeholder(kind)
}
