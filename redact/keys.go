package redact

import "strings"

// Key rules. A key is normalised before it is compared: letters lower-cased and the
// separators '-', '_', '.', ' ' removed, so "X-API-Key", "x_api_key", "xApiKey" and
// "x.api.key" are all "xapikey". A key is secret when its normalised form is in
// the Keys of a rule, or ends with one of the KeySuffixes of a rule, and is not in
// allowKeys.

// allowKeys look like secrets but are not: counts of tokens, IDs for correlation, the
// last four digits of a card.
var allowKeys = map[string]bool{
	"cardlastfour": true, "cardlast4": true, "last4": true, "lastfour": true, "panlast4": true,
	"prompttokens": true, "completiontokens": true, "totaltokens": true, "maxtokens": true,
	"inputtokens": true, "outputtokens": true, "tokencount": true, "tokens": true, "numtokens": true,
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
	return KindNone
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
