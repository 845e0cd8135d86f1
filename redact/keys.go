package redact

import "strings"

// Key rules. A key is normalised before it is compared: letters lower-cased and the
// separators '-', '_', '.', ' ' removed, so "X-API-Key", "x_api_key", "xApiKey" and
// "x.api.key" are all "xapikey". A key is secret when its normalised form is in
// the Keys of a rule, or ends with one of the KeySuffixes of a rule, and is not in
// allowKeys.

// countKeys are plural secret keys that also name a count: their value is kept when it is
// a number ("tokens": 1200), masked otherwise ("tokens": ["ghp_…"]).
var countKeys = map[string]bool{"tokens": true, "secrets": true, "passwords": true, "apikeys": true}

// namedByKey: a compound key whose first or last word is a rule's key names a secret of
// that kind: card_cvc, billingCvv2, customer_ssn, user-iban, password_hash. Words that
// also have other meanings (session, sid, pan, pass…) count only as the whole key.
func namedByKey(word string) (Kind, bool) {
	switch word {
	case "session", "sid", "pan", "pass", "tin", "nie", "nif", "sig", "tokens", "secrets", "passwords":
		return KindNone, false
	}
	kind, ok := secretKeys[word]
	return kind, ok
}

// metadataWords: the first word alone names a secret only when the rest of the key does not
// describe it (password_changed_at, token_type and secret_name are about a secret, not it).
var metadataWords = map[string]bool{
	"type": true, "types": true, "count": true, "len": true, "length": true, "size": true, "policy": true,
	"changed": true, "at": true, "expired": true, "expires": true, "expiry": true, "expiration": true,
	"reset": true, "name": true, "names": true, "id": true, "ids": true, "set": true, "updated": true,
	"created": true, "required": true, "enabled": true, "min": true, "max": true, "strength": true,
	"rotated": true, "rotation": true, "version": true, "ttl": true, "age": true, "last4": true, "lastfour": true,
	"last": true, "four": true, "provider": true, "kind": true, "url": true, "uri": true, "endpoint": true,
	"path": true, "file": true, "method": true, "algorithm": true, "alg": true, "valid": true, "invalid": true,
	"ok": true, "present": true, "missing": true, "error": true, "status": true, "source": true, "used": true,
	"usage": true, "limit": true, "limits": true, "budget": true, "total": true, "ref": true,
	"scope": true, "scopes": true, "issuer": true, "audience": true, "format": true, "prefix": true, "hint": true,
	// password_expires_in=30d, password_reset_requested=true; a form's password_field, a
	// constant naming the header a token travels in (tokenHeader = "X-Auth-Token").
	"in": true, "requested": true, "field": true, "header": true,
}

// allowKeys look like secrets but are not: counts of tokens, IDs for correlation, the
// last four digits of a card.
var allowKeys = map[string]bool{
	"cardlastfour": true, "cardlast4": true, "last4": true, "lastfour": true, "panlast4": true,
	"prompttokens": true, "completiontokens": true, "totaltokens": true, "maxtokens": true,
	"inputtokens": true, "outputtokens": true, "tokencount": true, "numtokens": true,
	"traceid": true, "spanid": true, "requestid": true, "parentspanid": true, "tokentype": true,
	"passwordchangedat": true, "passwordexpired": true, "passwordreset": true, "tokenexpiresat": true,
	"sessioncount": true, "sessionduration": true, "secretname": true, "tokenexpiry": true,
}

// maxKey is the longest key normalised on the stack; longer keys allocate.
const maxKey = 64

// normalizeKey appends the normalised form of k to dst.
func normalizeKey(dst []byte, k string) []byte {
	for i := 0; i < len(k); i++ {
		c := k[i]
		switch {
		case c >= 'A' && c <= 'Z':
			dst = append(dst, c+'a'-'A')
		case c == '-' || c == '_' || c == '.' || c == ' ':
		default:
			dst = append(dst, c)
		}
	}
	return dst
}

// maxCachedKeys and maxCachedKey bound the key cache (a key found in free text can be
// anything before a '='); other keys are classified on every call.
const (
	maxCachedKeys = 4096
	maxCachedKey  = 256
)

// keyInfo is what the engine knows about a key.
type keyInfo struct {
	kind Kind // the kind of secret its value is, or KindNone
	// masked is the key itself with the secrets it holds masked (a token logged as a
	// key, a group named after an e-mail address); "" when it holds none.
	masked string
}

// keyKind returns the kind of secret a key names, or KindNone.
func (r *Redactor) keyKind(k string) Kind { return r.keyOf(k).kind }

// cleanKey is the keyInfo of most keys: no secret by name, none in them.
var cleanKey = &keyInfo{}

// keyOf classifies a key and scans it. Services log the same few hundred keys over and
// over, so results are cached in a copy-on-write map that readers consult without a
// lock; its values are pointers, which keeps the map's slots small.
func (r *Redactor) keyOf(k string) *keyInfo {
	if m := r.keyCache.Load(); m != nil {
		if info, ok := (*m)[k]; ok {
			return info
		}
	}
	return r.learnKey(k)
}

// learnKey is keyOf for a key not in the cache yet.
func (r *Redactor) learnKey(k string) *keyInfo {
	info := cleanKey
	kind := r.classifyKey(k)
	masked, changed := r.text(k)
	if kind != KindNone || changed {
		info = &keyInfo{kind: kind}
		if changed {
			info.masked = masked
		}
	}
	if len(k) > maxCachedKey {
		return info
	}
	r.cacheMu.Lock()
	defer r.cacheMu.Unlock()
	old := r.keyCache.Load()
	if old == nil || len(*old) < maxCachedKeys {
		m := make(map[string]*keyInfo, 1+lenOf(old))
		if old != nil {
			for key, v := range *old {
				m[key] = v
			}
		}
		m[strings.Clone(k)] = info
		r.keyCache.Store(&m)
	}
	return info
}

func lenOf(m *map[string]*keyInfo) int {
	if m == nil {
		return 0
	}
	return len(*m)
}

// classifyKey is keyKind without the cache. extra and allow are the user's additions,
// already normalised.
func (r *Redactor) classifyKey(k string) Kind {
	if k == "" {
		return KindNone
	}
	var buf [maxKey]byte
	n := normalizeKey(buf[:0], k)
	if r.allow[string(n)] || allowKeys[string(n)] {
		return KindNone
	}
	if kind, ok := r.extraKeys[string(n)]; ok {
		return kind
	}
	if kind, ok := secretKeys[string(n)]; ok {
		return r.enabled(kind)
	}
	for _, s := range secretSuffixes {
		if len(n) > len(s.suffix) && string(n[len(n)-len(s.suffix):]) == s.suffix {
			return r.enabled(s.kind)
		}
	}
	return r.enabled(compoundKind(k))
}

// compoundKind classifies a key of several words by its first and last word (see
// namedByKey). Words are split at '-', '_', '.', ' ' and lower-to-upper case changes.
func compoundKind(k string) Kind {
	var words [8]string
	n := 0
	start := 0
	for i := 0; i <= len(k) && n < len(words); i++ {
		split := i == len(k) || k[i] == '-' || k[i] == '_' || k[i] == '.' || k[i] == ' '
		camel := !split && i > start && isUpper(k[i]) && !isUpper(k[i-1])
		if !split && !camel {
			continue
		}
		if i > start {
			words[n] = strings.ToLower(k[start:i])
			n++
		}
		start = i
		if split {
			start = i + 1
		}
	}
	if n < 2 {
		return KindNone
	}
	if kind, ok := namedByKey(words[n-1]); ok {
		return kind
	}
	first := words[0]
	rest := words[1:n]
	if first == "api" && words[1] == "key" {
		first, rest = "apikey", words[2:n]
	}
	switch first {
	case "password", "passwd", "pwd", "passphrase", "secret", "token", "apikey", "ssn", "cvv", "cvc", "iban":
	default:
		return KindNone
	}
	kind, _ := namedByKey(first)
	for _, w := range rest {
		if !metadataWords[w] {
			return kind
		}
	}
	if len(rest) == 0 {
		return kind
	}
	return KindNone
}

// notSecret reports whether the value v under the secret key k says something about
// the secret rather than being it: a count ("tokens": 3), or a boolean under a compound
// key ("has_password": true, "password_set": false).
func notSecret(k, v string) bool { return isCount(k, v) || isFlag(k, v) }

// isFlag reports whether v is a boolean under a compound key (not one of the rules'
// own key names: "password=true" stays masked).
func isFlag(k, v string) bool {
	if !strings.EqualFold(v, "true") && !strings.EqualFold(v, "false") {
		return false
	}
	var buf [maxKey]byte
	_, named := secretKeys[string(normalizeKey(buf[:0], k))]
	return !named
}

// isCount reports whether the value v under key k is a count, not a secret ("tokens": 3).
func isCount(k, v string) bool {
	if v == "" || len(v) > 9 || !allDigits(v) {
		return false
	}
	var buf [maxKey]byte
	return countKeys[string(normalizeKey(buf[:0], k))]
}

// pathKind matches the user's dotted keys ("user.address.street") against a full path.
func (r *Redactor) pathKind(path string) Kind {
	if len(r.extraPaths) == 0 {
		return KindNone
	}
	lp := strings.ToLower(path)
	for p, kind := range r.extraPaths {
		if lp == p || strings.HasSuffix(lp, "."+p) {
			return kind
		}
	}
	return KindNone
}
