package redact

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"unicode/utf8"

	"go.opentelemetry.io/otel/attribute"
)

// Pattern is a user rule: every match of Regexp is masked as Kind.
type Pattern struct {
	Kind   Kind
	Regexp *regexp.Regexp
}

// Config configures [New]. The zero value is the documented default: every
// rule group on, built-in keys, cards masked to their last four digits, everything else
// to a placeholder.
type Config struct {
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

// Redactor removes secrets and personal data from text, attribute values and JSON.
//
// It walks values recursively through maps and slices (depth and size bounded). A value
// under a secret key (password, token, api_key, authorization, cookie, card_number,
// ssn…) is masked whole. Every other string is scanned with the detectors of the rule
// table ([Rules]): provider credentials, JWTs, PEM private keys, Bearer/Basic
// credentials, cookie values, URL passwords, secret key=value pairs in free text, card
// numbers, IBANs, national identity numbers, e-mail addresses and phone numbers. Keys
// (attribute keys, group names, map keys) are scanned like strings; []byte values as
// text, or as JSON when they hold JSON (a json.RawMessage); numbers of every type
// (int64, float64, their slices, JSON numbers) are checked by the rules that look at
// numbers (cards). Redaction is idempotent: our own exact placeholders pass unchanged,
// a value that merely starts like one does not.
//
// A value without anything to redact is returned as it is and costs no allocation. A
// Redactor is safe for concurrent use.
type Redactor struct {
	on         [numGroups]bool
	detectors  []*Rule         // the enabled rules with a Detect
	numbers    []*Rule         // the enabled rules with NumberDigits
	minNumber  float64         // 10^(min NumberDigits - 1): smaller numbers are not checked
	tokens     bool            // a token rule is enabled
	extraKeys  map[string]Kind // normalised
	extraPaths map[string]Kind // lower-cased dotted paths
	allow      map[string]bool // normalised
	patterns   []Pattern
	masks      map[Kind]Mask
	hmacKey    []byte
	maxDepth   int
	maxString  int

	keyCache atomic.Pointer[map[string]*keyInfo]
	cacheMu  sync.Mutex
}

// ErrInvalidConfig is wrapped by Validate's (and so New's) errors.
var ErrInvalidConfig = errors.New("invalid redaction configuration")

// Validate reports what is wrong with c, wrapping ErrInvalidConfig. Kinds of the user's
// own must be names our placeholders can hold (lower-case letters, digits, '_', '-',
// '.'), so that what they mask is recognised as masked the next time.
func (c Config) Validate() error {
	for _, g := range c.Off {
		if g < 0 || g >= numGroups {
			return fmt.Errorf("%w: unknown rule group %d", ErrInvalidConfig, g)
		}
	}
	for _, kind := range c.Keys {
		if kind != KindNone && !kindName(string(kind)) {
			return fmt.Errorf("%w: kind %q is not a lower-case name", ErrInvalidConfig, kind)
		}
	}
	for _, p := range c.Patterns {
		if p.Regexp == nil || p.Kind == KindNone {
			return fmt.Errorf("%w: a pattern needs a Kind and a Regexp", ErrInvalidConfig)
		}
		if !kindName(string(p.Kind)) {
			return fmt.Errorf("%w: kind %q is not a lower-case name", ErrInvalidConfig, p.Kind)
		}
	}
	for k, m := range c.Masks {
		if m < MaskPlaceholder || m > MaskDrop {
			return fmt.Errorf("%w: unknown mask %d for %s", ErrInvalidConfig, m, k)
		}
		if m == MaskHMAC && len(c.HMACKey) == 0 {
			return fmt.Errorf("%w: MaskHMAC for %s needs an HMACKey", ErrInvalidConfig, k)
		}
	}
	if c.MaxDepth < 0 || c.MaxString < 0 {
		return fmt.Errorf("%w: MaxDepth and MaxString are sizes (0 means the default)", ErrInvalidConfig)
	}
	return nil
}

// New returns a Redactor configured by c; its errors are Validate's.
func New(c Config) (*Redactor, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	r := &Redactor{
		extraKeys:  map[string]Kind{},
		extraPaths: map[string]Kind{},
		allow:      map[string]bool{},
		masks:      map[Kind]Mask{},
		hmacKey:    c.HMACKey,
		maxDepth:   c.MaxDepth,
		maxString:  c.MaxString,
	}
	for g := range r.on {
		r.on[g] = true
	}
	for _, g := range c.Off {
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
	r.patterns = c.Patterns
	for k, m := range c.Masks {
		r.masks[k] = m
	}
	for i := range rules {
		rule := &rules[i]
		if _, ok := r.masks[rule.Kind]; !ok && rule.Mask != MaskPlaceholder {
			r.masks[rule.Kind] = rule.Mask
		}
		if !r.on[rule.Group] {
			continue
		}
		if rule.Detect != nil {
			r.detectors = append(r.detectors, rule)
		}
		if rule.NumberDigits > 0 && rule.Detect != nil {
			r.numbers = append(r.numbers, rule)
			if m := math.Pow10(rule.NumberDigits - 1); r.minNumber == 0 || m < r.minNumber {
				r.minNumber = m
			}
		}
		r.tokens = r.tokens || len(rule.Tokens) > 0
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
func (r *Redactor) enabled(kind Kind) Kind {
	if !r.on[kind.Group()] {
		return KindNone
	}
	return kind
}

// String returns s with every secret found in it masked.
func (r *Redactor) String(s string) string {
	out, _ := r.text(s)
	return out
}

// Value returns v redacted (key rules apply inside maps), and whether anything changed;
// when nothing did, v itself is returned.
func (r *Redactor) Value(v attribute.Value) (attribute.Value, bool) {
	return r.value(v, "", 0)
}

// KeyValue returns kv redacted, whether to keep it (false when its mask drops it) and
// whether anything changed; when nothing did, kv itself is returned.
func (r *Redactor) KeyValue(kv attribute.KeyValue) (out attribute.KeyValue, keep, changed bool) {
	if !r.MayChange(kv) {
		return kv, true, false
	}
	return r.kv(kv, "", 0)
}

// MayChange is KeyValue's first, cheap check: false means KeyValue certainly returns kv
// as it is (most attributes), so that a caller walking many can skip the call and its
// copies.
func (r *Redactor) MayChange(kv attribute.KeyValue) bool {
	if len(r.extraPaths) > 0 || len(r.patterns) > 0 {
		return true
	}
	if k := r.keyOf(string(kv.Key)); k != cleanKey {
		return true
	}
	switch kv.Value.Type() {
	case attribute.STRING:
		s := kv.Value.AsString()
		return len(s) > r.maxString || mayContain(s)
	case attribute.INT64:
		return r.checksNumber(float64(kv.Value.AsInt64()))
	case attribute.FLOAT64:
		return r.checksNumber(kv.Value.AsFloat64())
	case attribute.BOOL, attribute.EMPTY:
		return false
	}
	return true
}

func (r *Redactor) kv(kv attribute.KeyValue, parent string, depth int) (attribute.KeyValue, bool, bool) {
	key := string(kv.Key)
	info := r.keyOf(key)
	kind := info.kind
	outKey, keyChanged := kv.Key, info.masked != ""
	if keyChanged {
		outKey = attribute.Key(info.masked)
	}
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
	if kind != KindNone && (kv.Value.Type() == attribute.INT64 || kv.Value.Type() == attribute.STRING || kv.Value.Type() == attribute.BOOL) &&
		notSecret(key, valueText(kv.Value)) {
		kind = KindNone // "tokens": 1200, "has_password": true
	}
	if kind != KindNone {
		if kv.Value.Type() == attribute.STRING && alreadyMasked(kv.Value.AsString()) {
			return attribute.KeyValue{Key: outKey, Value: kv.Value}, true, keyChanged
		}
		mask := r.maskFor(kind)
		if mask == MaskDrop {
			return kv, false, true
		}
		return attribute.KeyValue{Key: outKey, Value: attribute.StringValue(r.maskSecret(kind, mask, valueText(kv.Value)))}, true, true
	}
	v, changed := r.value(kv.Value, path, depth)
	if !changed && !keyChanged {
		return kv, true, false
	}
	return attribute.KeyValue{Key: outKey, Value: v}, true, true
}

// checksNumber reports whether a number is large enough for a rule to check it.
func (r *Redactor) checksNumber(f float64) bool {
	return r.minNumber > 0 && (f >= r.minNumber || f <= -r.minNumber)
}

func (r *Redactor) int64(n int64) (string, bool) {
	if !r.checksNumber(float64(n)) {
		return "", false
	}
	var buf [24]byte
	return r.number(strconv.AppendInt(buf[:0], n, 10))
}

func (r *Redactor) float64(f float64) (string, bool) {
	if !r.checksNumber(f) || f != math.Trunc(f) || math.Abs(f) >= 1e21 {
		return "", false
	}
	var buf [32]byte
	return r.number(strconv.AppendFloat(buf[:0], f, 'f', -1, 64))
}

// numberSlice rebuilds a slice of n numbers whose element first (and maybe others after
// it) is a secret: the secrets become masked strings, the other numbers stay numbers.
func (r *Redactor) numberSlice(n, first int, plain func(int) attribute.Value, masked func(int) (string, bool)) attribute.Value {
	out := make([]attribute.Value, n)
	for j := range out {
		out[j] = plain(j)
		if j >= first {
			if m, ok := masked(j); ok {
				out[j] = attribute.StringValue(m)
			}
		}
	}
	return attribute.SliceValue(out...)
}

// bytes redacts a []byte value: valid UTF-8 is text, or JSON when it is a JSON object or
// array (a json.RawMessage); anything else is binary and passes as it is.
func (r *Redactor) bytes(v attribute.Value) (attribute.Value, bool) {
	b := v.AsByteSlice()
	if !utf8.Valid(b) {
		return v, false
	}
	if t := bytes.TrimLeft(b, " \t\r\n"); len(t) > 0 && (t[0] == '{' || t[0] == '[') && len(b) <= r.maxString {
		if out, changed, err := r.jsonEdit(b); err == nil {
			if !changed {
				return v, false
			}
			return attribute.ByteSliceValue(out), true
		}
	}
	s, changed := r.text(string(b))
	if !changed {
		return v, false
	}
	return attribute.ByteSliceValue([]byte(s)), true
}

// number checks a number, given by its decimal form, against the rules that look at
// numbers, and returns it masked if one of them takes it whole.
func (r *Redactor) number(dec []byte) (string, bool) {
	d := string(dec)
	if d != "" && (d[0] == '-' || d[0] == '+') {
		d = d[1:]
	}
	if !allDigits(d) { // 4.111111111111111e+15, as JSON may write it
		f, err := strconv.ParseFloat(d, 64)
		if err != nil || f != math.Trunc(f) || f >= 1e21 {
			return "", false
		}
		d = strconv.FormatFloat(f, 'f', -1, 64)
	}
	for _, rule := range r.numbers {
		if len(d) < rule.NumberDigits {
			continue
		}
		for _, sp := range rule.Detect(d, nil) {
			if sp.Start == 0 && sp.End == len(d) && (rule.Validate == nil || rule.Validate(d)) {
				return r.maskSecret(rule.Kind, r.maskFor(rule.Kind), d), true
			}
		}
	}
	return "", false
}

// valueText is the text a masked value is derived from (last four digits, HMAC input).
func valueText(v attribute.Value) string {
	switch v.Type() {
	case attribute.STRING:
		return v.AsString()
	case attribute.INT64:
		return strconv.FormatInt(v.AsInt64(), 10)
	case attribute.FLOAT64:
		if f := v.AsFloat64(); f == math.Trunc(f) && math.Abs(f) < 1e21 {
			return strconv.FormatFloat(f, 'f', -1, 64)
		}
	}
	return v.String()
}

func (r *Redactor) value(v attribute.Value, path string, depth int) (attribute.Value, bool) {
	switch v.Type() {
	case attribute.STRING:
		s, changed := r.text(v.AsString())
		if !changed {
			return v, false
		}
		return attribute.StringValue(s), true
	case attribute.INT64:
		// A card number logged as an integer.
		if masked, ok := r.int64(v.AsInt64()); ok {
			return attribute.StringValue(masked), true
		}
		return v, false
	case attribute.FLOAT64:
		// A card number that went through a float64 (a json.Unmarshal map).
		if masked, ok := r.float64(v.AsFloat64()); ok {
			return attribute.StringValue(masked), true
		}
		return v, false
	case attribute.INT64SLICE:
		ns := v.AsInt64Slice()
		for i, n := range ns {
			if _, ok := r.int64(n); ok {
				return r.numberSlice(len(ns), i, func(j int) attribute.Value { return attribute.Int64Value(ns[j]) }, func(j int) (string, bool) { return r.int64(ns[j]) }), true
			}
		}
		return v, false
	case attribute.FLOAT64SLICE:
		fs := v.AsFloat64Slice()
		for i, f := range fs {
			if _, ok := r.float64(f); ok {
				return r.numberSlice(len(fs), i, func(j int) attribute.Value { return attribute.Float64Value(fs[j]) }, func(j int) (string, bool) { return r.float64(fs[j]) }), true
			}
		}
		return v, false
	case attribute.BYTESLICE:
		return r.bytes(v)
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
func (r *Redactor) text(s string) (string, bool) {
	if len(s) > r.maxString {
		return placeholder(KindTooLarge), true
	}
	if !mayContain(s) && len(r.patterns) == 0 {
		return s, false // the body of a clean record ends here
	}
	return r.scan(s)
}

// scan is text for a string that may hold a secret.
func (r *Redactor) scan(s string) (string, bool) {
	// The detectors are called through the table, so the spans they append to would
	// escape to the heap from a stack buffer: they come from a pool instead.
	bp := spanPool.Get().(*[]Span)
	spans := r.findSpans(s, scanFlags(s), (*bp)[:0])
	defer func() {
		if cap(spans) <= 64 {
			*bp = spans[:0]
			spanPool.Put(bp)
		}
	}()
	if len(spans) == 0 {
		return s, false
	}
	var b strings.Builder
	b.Grow(len(s))
	last := 0
	for _, sp := range spans {
		b.WriteString(s[last:sp.Start])
		b.WriteString(r.maskSecret(sp.Kind, r.maskFor(sp.Kind), s[sp.Start:sp.End]))
		last = sp.End
	}
	b.WriteString(s[last:])
	return b.String(), true
}

var spanPool = sync.Pool{New: func() any { s := make([]Span, 0, 8); return &s }}

func (r *Redactor) maskFor(kind Kind) Mask {
	if m, ok := r.masks[kind]; ok {
		return m
	}
	return MaskPlaceholder
}

// maskSecret returns the replacement of secret under mask.
func (r *Redactor) maskSecret(kind Kind, mask Mask, secret string) string {
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
