package redact

import (
	"slices"
	"strings"
)

// Character classes for the pre-scan.
const (
	clsNone uint8 = iota
	clsDigit
	clsTrigger // '@', '=', ':', tab, '<', U+FF1A's first byte: e-mail, key=value, URL, header, XML
	clsPrefix  // may start a token prefix or a trigger (set from the rule table)
	clsI       // "is": "password is x"
)

var charClass = func() (t [256]uint8) {
	for c := '0'; c <= '9'; c++ {
		t[c] = clsDigit
	}
	for _, c := range []byte("@=:\t<\xef") {
		t[c] = clsTrigger
	}
	t['i'] = clsI
	return
}()

// isTokenChar reports whether c can be part of a credential token.
func isTokenChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-'
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isUpper(c byte) bool { return c >= 'A' && c <= 'Z' }

// boundaryBefore reports whether position i starts a word.
func boundaryBefore(s string, i int) bool { return i == 0 || !isTokenChar(s[i-1]) }

// minPrefixAfterHyphen is the shortest token prefix that starts a token after a '-' too,
// not only at a word start: a key joined to a name or path by a hyphen
// (/srv/deploy-sk-proj-…/app). Prefixes this long (sk-proj-, sk-ant-, sk_live_…) are not
// the end of a hyphenated word; shorter ones (key-, hf_, SK) could be.
const minPrefixAfterHyphen = 7

// afterHyphen reports whether position i follows a '-' (and so starts only the tokens of
// a prefix of minPrefixAfterHyphen or more).
func afterHyphen(s string, i int) bool { return i > 0 && s[i-1] == '-' }

// prefixStartsAt reports whether a word of prefixesByFirst starts at i: at a word start,
// or a token prefix of minPrefixAfterHyphen or more after a '-'.
func prefixStartsAt(s string, i int) bool {
	if boundaryBefore(s, i) {
		return prefixAt(s, i)
	}
	if !afterHyphen(s, i) {
		return false
	}
	for _, p := range prefixesByFirst[s[i]] {
		if !p.fold && len(p.word) >= minPrefixAfterHyphen && strings.HasPrefix(s[i:], p.word) {
			return true
		}
	}
	return false
}

// What a string holds, as far as the detectors care (the Needs of the rules); findSpans
// runs only the detectors that can match.
const (
	hasDigits = NeedDigits
	hasAt     = NeedAt
	hasSep    = NeedSep
	hasPrefix = NeedPrefix
	hasPlus   = NeedPlus
	hasUpper2 = NeedUpper2
	hasIs     = NeedUpper2 << 1 // " is ": "password is x", for the engine's key forms

	// worthScanning: without one of these no detector can match (hasPlus and hasUpper2
	// only narrow which detectors run).
	worthScanning = hasDigits | hasAt | hasSep | hasPrefix | hasIs
)

// mayContain is the fast path: scanFlags(s)&worthScanning != 0, computed with fewer
// checks a character and an early exit. It runs on the body, every string attribute and
// every new key of every record. A test keeps the two in step.
func mayContain(s string) bool {
	digits := 0
	for i := 0; i < len(s); i++ {
		switch charClass[s[i]] {
		case clsDigit:
			if digits++; digits >= 6 {
				return true
			}
			if digits >= 4 && i+1 < len(s) && isUpper(s[i+1]) && indiaPANAt(s, i) {
				return true
			}
		case clsTrigger:
			return true
		case clsPrefix:
			if prefixStartsAt(s, i) {
				return true
			}
		case clsI:
			if isAt(s, i) {
				return true
			}
		}
	}
	return false
}

// isAt reports whether s holds the word "is" at i, between spaces.
func isAt(s string, i int) bool {
	return i > 0 && i+2 < len(s) && s[i-1] == ' ' && s[i+1] == 's' && s[i+2] == ' '
}

// scanFlags reads s once and says what it holds.
func scanFlags(s string) (f Needs) {
	digits := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch charClass[c] {
		case clsDigit:
			if digits++; digits >= 4 && i+1 < len(s) && isUpper(s[i+1]) && indiaPANAt(s, i) {
				f |= hasDigits | hasUpper2
			}
		case clsI:
			if isAt(s, i) {
				f |= hasIs
			}
		case clsTrigger:
			if c == '@' {
				f |= hasAt
			} else {
				f |= hasSep
			}
		case clsPrefix:
			if f&hasPrefix == 0 && prefixStartsAt(s, i) {
				f |= hasPrefix
			}
		}
		if c == '+' {
			f |= hasPlus
		}
		if isUpper(c) && i+1 < len(s) && isUpper(s[i+1]) {
			f |= hasUpper2
		}
	}
	if digits >= 6 {
		f |= hasDigits
	}
	return f
}

// prefixAt reports whether a token prefix or a trigger word starts at s[i].
func prefixAt(s string, i int) bool {
	rest := s[i:]
	for _, p := range prefixesByFirst[rest[0]] {
		if p.fold && hasPrefixFold(rest, p.word) || !p.fold && strings.HasPrefix(rest, p.word) {
			return true
		}
	}
	return false
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

// findSpans appends the secrets found in s to out, sorted and without overlaps. f is
// scanFlags(s).
func (r *Redactor) findSpans(s string, f Needs, out []Span) []Span {
	n0 := len(out)
	if f&hasPrefix != 0 && r.tokens {
		out = r.findTokens(s, out)
	}
	if f&hasSep != 0 {
		out = r.findKeyValues(s, out)
		out = r.findXMLElements(s, out)
		out = r.findNamedValues(s, out)
	}
	if f&hasPrefix != 0 {
		out = r.findFlags(s, out)
		out = r.findCommandPasswords(s, out)
	}
	if f&hasIs != 0 {
		out = r.findIsForms(s, out)
	}
	if f&hasDigits != 0 {
		out = r.findNamedIDs(s, out)
	}
	for _, rule := range r.detectors {
		if f&rule.Needs != rule.Needs {
			continue
		}
		n := len(out)
		out = rule.Detect(s, out)
		if rule.Validate != nil {
			kept := out[:n]
			for _, sp := range out[n:] {
				if rule.Validate(s[sp.Start:sp.End]) {
					kept = append(kept, sp)
				}
			}
			out = kept
		}
	}
	for _, p := range r.patterns {
		for _, m := range p.Regexp.FindAllStringIndex(s, -1) {
			out = append(out, Span{m[0], m[1], p.Kind})
		}
	}
	found := out[n0:]
	if len(found) < 2 {
		return out
	}
	slices.SortStableFunc(found, func(a, b Span) int { return a.Start - b.Start })
	merged := found[:1]
	for _, sp := range found[1:] {
		last := &merged[len(merged)-1]
		if sp.Start < last.End {
			last.End = max(last.End, sp.End)
			continue
		}
		merged = append(merged, sp)
	}
	return out[:n0+len(merged)]
}

// findTokens finds the rules' fixed-prefix tokens, the longest matching prefix first: at
// a word start, or after a '-' for a prefix of minPrefixAfterHyphen or more.
func (r *Redactor) findTokens(s string, out []Span) []Span {
	for i := 0; i < len(s); i++ {
		if charClass[s[i]] != clsPrefix {
			continue
		}
		atWord := boundaryBefore(s, i)
		if !atWord && !afterHyphen(s, i) {
			continue
		}
		rest := s[i:]
		for _, t := range tokensByFirst[s[i]] {
			if !strings.HasPrefix(rest, t.Prefix) || !atWord && len(t.Prefix) < minPrefixAfterHyphen {
				continue
			}
			if !r.on[t.kind.Group()] {
				break
			}
			end := i + len(t.Prefix)
			stop := len(s) // past Max the token is too long: no need to read on
			if t.Max > 0 {
				stop = min(stop, i+t.Max+1)
			}
			for end < stop && t.Charset(s[end]) {
				end++
			}
			if t.Max > 0 && (end-i > t.Max || end < len(s) && isTokenChar(s[end])) {
				break
			}
			if end-i >= t.Min {
				out = append(out, Span{i, end, t.kind})
				i = end
			}
			break
		}
	}
	return out
}

// findJWTs finds JSON Web Tokens: three base64url segments, the first two JSON objects.
func findJWTs(s string, out []Span) []Span {
	run := 0 // the end of the run of token characters and dots holding the candidate
	for from := 0; ; {
		j := strings.Index(s[from:], "eyJ")
		if j < 0 {
			return out
		}
		i := from + j
		from = i + 3
		if !boundaryBefore(s, i) {
			continue
		}
		if i >= run {
			run = jwtRunEnd(s, i)
		}
		if end := jwtEnd(s, i, run); end > 0 {
			out = append(out, Span{i, end, KindJWT})
			from = end
		}
	}
}

// jwtRunEnd returns the end of the run of token characters and dots starting at i.
func jwtRunEnd(s string, i int) int {
	for i < len(s) && (isTokenChar(s[i]) || s[i] == '.') {
		i++
	}
	return i
}

// findSlackWebhooks masks the secret path of Slack incoming webhook URLs.
func findSlackWebhooks(s string, out []Span) []Span {
	if j := strings.Index(s, "hooks.slack.com/services/"); j >= 0 {
		start := j + len("hooks.slack.com/services/")
		end := start
		for end < len(s) && (isTokenChar(s[end]) || s[end] == '/') {
			end++
		}
		if end-start >= 20 {
			out = append(out, Span{start, end, KindSlackWebhook})
		}
	}
	return out
}

// jwtEnd returns the end of a JWT (three base64url segments, the first two JSON objects)
// starting at i, or 0; end is jwtRunEnd(s, i). It reads the first two segments only, so
// that the candidates of one long run cost no more than the run.
func jwtEnd(s string, i, end int) int {
	first := strings.IndexByte(s[i:end], '.')
	if first < 0 || end-i < 30 || !strings.HasPrefix(s[i+first+1:end], "eyJ") {
		return 0
	}
	if strings.IndexByte(s[i+first+1:end], '.') < 0 {
		return 0 // two segments
	}
	return end
}

// findPEM masks the body of private-key blocks, raw or with JSON-escaped newlines; an
// unterminated block is masked to the end of the string.
func findPEM(s string, out []Span) []Span {
	for from := 0; ; {
		j := strings.Index(s[from:], "-----BEGIN ")
		if j < 0 {
			return out
		}
		j += from
		hdrEnd := strings.Index(s[j+11:], "-----")
		if hdrEnd < 0 {
			return out
		}
		label := s[j+11 : j+11+hdrEnd]
		bodyStart := j + 11 + hdrEnd + 5
		if !strings.Contains(label, "PRIVATE KEY") {
			from = bodyStart
			continue
		}
		end := strings.Index(s[bodyStart:], "-----END")
		// An empty body holds nothing to mask: no span (the streaming Writer writes none
		// either, and a String of a bare header must not gain a marker).
		if end < 0 {
			if bodyStart < len(s) {
				out = append(out, Span{bodyStart, len(s), KindPrivateKey})
			}
			return out
		}
		if end > 0 {
			out = append(out, Span{bodyStart, bodyStart + end, KindPrivateKey})
		}
		from = bodyStart + end + 8
	}
}

// findAuthSchemes masks the credentials after "Bearer " and "Basic ".
func findAuthSchemes(s string, out []Span) []Span {
	for i := 0; i < len(s); i++ {
		if (s[i] != 'B' && s[i] != 'b') || !boundaryBefore(s, i) {
			continue
		}
		var n int
		switch {
		case hasPrefixFold(s[i:], "bearer "):
			n = 7
		case hasPrefixFold(s[i:], "basic "):
			n = 6
		default:
			continue
		}
		start := i + n
		for start < len(s) && s[start] == ' ' {
			start++
		}
		end := start
		for end < len(s) && credentialChar(s[end]) {
			end++
		}
		if end-start >= 8 && token68(s[start:end]) && !alreadyMasked(s[start:end]) {
			out = append(out, Span{start, end, KindAuthHeader})
			i = end
		}
	}
	return out
}

// token68 reports whether v has the shape of an HTTP credential (RFC 9110 token68):
// '=' only as trailing padding. "token_type=Bearer expires_in=3600" names the scheme;
// expires_in=3600 is the next field, not a credential.
func token68(v string) bool {
	eq := strings.IndexByte(v, '=')
	return eq < 0 || strings.Trim(v[eq:], "=") == ""
}

// credentialChar is what a header credential (token68 and friends) is made of.
func credentialChar(c byte) bool {
	return isTokenChar(c) || c == '.' || c == '~' || c == '+' || c == '/' || c == '='
}

// findUserPasswords finds the password of user:password pairs: in URLs, in DSNs without
// a scheme and in curl's -u.
func findUserPasswords(s string, out []Span) []Span {
	out = findURLPasswords(s, out)
	out = findDSNPasswords(s, out)
	return findCurlUsers(s, out)
}

// findURLPasswords masks the password of scheme://user:password@host.
func findURLPasswords(s string, out []Span) []Span {
	for from := 0; ; {
		j := strings.Index(s[from:], "://")
		if j < 0 {
			return out
		}
		start := from + j + 3
		end := start
		for end < len(s) && s[end] != '/' && s[end] != '@' && s[end] != ' ' && s[end] != '"' && s[end] != '\n' {
			end++
		}
		if end < len(s) && s[end] == '@' {
			if c := strings.IndexByte(s[start:end], ':'); c >= 0 && end-(start+c+1) > 0 {
				out = append(out, Span{start + c + 1, end, KindURLPassword})
			}
		}
		from = start
	}
}

// findKeyValues masks values whose key names a secret, in the forms key=value,
// key = value, key: value, key：value (full-width colon), key<tab>value, "key":"value",
// \"key\":\"value\" (JSON inside a JSON string), key="value", Go's %+v {Key:value}, and
// key: followed by the value on the next line. The value runs to the closing quote, or to
// whitespace or one of &;,)}] when unquoted. Cookie headers mask every value;
// Authorization headers mask the credential and keep the scheme word.
func (r *Redactor) findKeyValues(s string, out []Span) []Span {
	for i := 0; i < len(s); i++ {
		c := s[i]
		sepLen := 1
		switch {
		case c == '=' || c == ':' || c == '\t':
		case c == 0xef && strings.HasPrefix(s[i:], "："):
			sepLen = len("：")
		default:
			continue
		}
		// The key: token characters (and dots) just before, maybe inside quotes, maybe
		// escaped quotes.
		kEnd := i
		if c != '\t' {
			for kEnd > 0 && (s[kEnd-1] == ' ' || s[kEnd-1] == '\t') {
				kEnd--
			}
		}
		if kEnd > 0 && (s[kEnd-1] == '"' || s[kEnd-1] == '\'') {
			kEnd--
			if kEnd > 0 && s[kEnd-1] == '\\' {
				kEnd--
			}
		}
		kStart := kEnd
		for kStart > 0 && (isTokenChar(s[kStart-1]) || s[kStart-1] == '.') {
			kStart--
		}
		if kStart == kEnd {
			continue
		}
		key := s[kStart:kEnd]
		kind := r.keyKind(key)
		if kind == KindNone {
			continue
		}
		// The value.
		v := i + sepLen
		if c == ':' && v < len(s) && s[v] == '/' {
			continue // a URL scheme, not a key
		}
		for v < len(s) && (s[v] == ' ' || s[v] == '\t') {
			v++
		}
		if c != '\t' && v < len(s) && (s[v] == '\n' || s[v] == '\r') {
			v = nextLineValue(s, v)
		}
		if kind == KindCookie {
			// Cookie: a=1; b=2 — every value up to the end of the line.
			end := v
			for end < len(s) && s[end] != '\n' && s[end] != '\r' && s[end] != '"' {
				end++
			}
			out = appendCookieValues(s, v, end, out)
			i = end
			continue
		}
		var vStart, vEnd int
		limit := len(s) // where a quoted value ends
		switch {
		case v+2 < len(s) && s[v] == '"' && s[v+1] == '"' && !valueStop(s[v+2]):
			// password=""hunter4: the value's opening quote doubled by CSV.
			vStart, vEnd = v+2, quotedEnd(s, v+2, '"')
			limit = vEnd
		case v < len(s) && (s[v] == '"' || s[v] == '\''):
			vStart, vEnd = v+1, quotedEnd(s, v+1, s[v])
			limit = vEnd
		case v+1 < len(s) && s[v] == '\\' && s[v+1] == '"':
			vStart = v + 2
			vEnd = vStart
			for vEnd < len(s) && !strings.HasPrefix(s[vEnd:], `\"`) {
				vEnd++
			}
			limit = vEnd
		default:
			vStart, vEnd = v, unquotedEnd(s, v)
			if idKind(kind) && vEnd > vStart && allDigits(s[vStart:vEnd]) {
				// ssn: 536 22 1847 — an identity number in groups: the whole run.
				vEnd, _ = digitRun(s, vStart, nil)
			}
			if kind == KindSecret && c == ':' && keyStartsLine(s, kStart) {
				vEnd = phraseEnd(s, vStart, vEnd)
			}
		}
		if kind == KindAuthHeader {
			if scheme := authSchemeLen(s[vStart:limit]); scheme > 0 {
				vStart += scheme
				for vStart < limit && s[vStart] == ' ' {
					vStart++
				}
				vEnd = credentialEnd(s[:limit], vStart)
			} else if isAuthScheme(s[vStart:vEnd]) {
				continue // a scheme alone: "supported: Bearer"
			}
		}
		if vEnd > vStart && !alreadyMasked(s[vStart:vEnd]) && !notSecret(key, s[vStart:vEnd]) && !isNoValue(s[vStart:vEnd]) &&
			!(c == ':' && isSourceLine(key, s[vStart:vEnd])) {
			out = append(out, Span{vStart, vEnd, kind})
		}
		i = max(i, vEnd-1)
	}
	return out
}

// keyStartsLine reports whether only blanks (or a YAML list's "- ") stand before the key
// at k on its line: "password: correct horse battery" as a config or YAML line writes it.
func keyStartsLine(s string, k int) bool {
	for k > 0 && (s[k-1] == ' ' || s[k-1] == '\t') {
		k--
	}
	if k > 0 && s[k-1] == '-' {
		k--
		for k > 0 && (s[k-1] == ' ' || s[k-1] == '\t') {
			k--
		}
	}
	return k == 0 || s[k-1] == '\n' || s[k-1] == '\r'
}

// maxPhrase bounds a multi-word value (a passphrase).
const maxPhrase = 128

// phraseEnd extends the value [v, end) of a secret key that starts its line, followed by
// ':' (YAML, config files, prose; logfmt's key=value quotes a value with spaces), over the
// rest of the line when that rest is more words (a passphrase: "correct horse battery"): words
// of letters, digits and symbols, single spaces between them, no other key or separator
// (':', '='), no quote, at most maxPhrase bytes in all. A first word that says there is
// no value ("required", "none") is left alone, and a line that would not be masked is
// never masked by this: it only lengthens a value already found.
func phraseEnd(s string, v, end int) int {
	if end == v || end >= len(s) || s[end] != ' ' || isNoValue(s[v:end]) || alreadyMasked(s[v:end]) {
		return end
	}
	e := end
	for e < len(s) && e-v <= maxPhrase {
		c := s[e]
		switch {
		case c == '\n' || c == '\r':
			return trimPhrase(s, v, e)
		case c == ' ':
			if e+1 < len(s) && s[e+1] == ' ' {
				return end // a column gap, not a phrase
			}
		case c == ':' || c == '=' || c == '"' || c == '\'' || c == '\t' || c == '<' || c == '>' || c == '{' || c == '}':
			return end
		}
		e++
	}
	if e == len(s) && e-v <= maxPhrase {
		return trimPhrase(s, v, e)
	}
	return end
}

// trimPhrase drops the blanks that end a phrase (a full stop stays in the value, as
// after a one-word value, so that the output redacts to itself).
func trimPhrase(s string, v, e int) int {
	for e > v && s[e-1] == ' ' {
		e--
	}
	return e
}

// idKind reports whether values of kind are numbers people write in digit groups.
func idKind(kind Kind) bool {
	return kind.Group() == GroupGovernmentID || kind == KindCVV || kind == KindCard
}

// findNamedIDs masks identity numbers named in prose by their key word and a space,
// without a separator: "Canadian SIN 046 454 286", "BSN 111222333". The word is an
// identity key (ssn, sin, bsn, aadhaar…), in capitals when it is short (so that the
// Spanish "sin" or the Dutch "nie" before a number stay words), and the number has at
// least six digits, in groups or not. A kind with a check (SIN, TFN, Aadhaar, NIR)
// must pass it: in prose the word alone is weaker than a key and its separator.
func (r *Redactor) findNamedIDs(s string, out []Span) []Span {
	for i := 2; i < len(s); i++ {
		if !isDigit(s[i]) || s[i-1] != ' ' || !isAlpha(s[i-2]) {
			continue
		}
		end, _ := digitRun(s, i, nil)
		if end < len(s) && isAlnum(s[end]) || countDigits(s[i:end]) < 6 {
			i = end
			continue
		}
		w := i - 1
		for w > 0 && isAlpha(s[w-1]) {
			w--
		}
		word := s[w : i-1]
		if boundaryBefore(s, w) && (len(word) >= 5 || allUpper(word)) {
			kind := r.keyKind(word)
			if rule := ruleOf[kind]; rule != nil && rule.Group == GroupGovernmentID && (rule.Validate == nil || rule.Validate(s[i:end])) {
				out = append(out, Span{i, end, kind})
			}
		}
		i = end
	}
	return out
}

func countDigits(s string) (n int) {
	for i := 0; i < len(s); i++ {
		if isDigit(s[i]) {
			n++
		}
	}
	return n
}

func allUpper(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isUpper(s[i]) {
			return false
		}
	}
	return true
}

// isSourceLine reports whether key:v is a source file and a line number, as a stack
// frame writes it (TokenService.java:88, token.go:42), not a key and its value.
func isSourceLine(key, v string) bool {
	dot := strings.LastIndexByte(key, '.')
	if dot <= 0 || v == "" || !allDigits(v) {
		return false
	}
	switch key[dot+1:] {
	case "java", "kt", "scala", "groovy", "go", "py", "rb", "js", "mjs", "cjs", "jsx", "ts", "tsx", "php",
		"cs", "swift", "c", "cc", "cpp", "h", "hpp", "rs", "ex", "exs", "erl", "dart", "lua", "pl":
		return true
	}
	return false
}

// isNoValue reports whether v says there is no value, or what is wrong with it, rather
// than being one ("authorization: none", "password: required").
func isNoValue(v string) bool {
	if len(v) > 1 && v[0] == '(' {
		v = v[1:] // "password: (none)": the value stopped at ')'
	}
	if len(v) > len("undefined") {
		return false
	}
	for _, w := range noValueWords {
		if strings.EqualFold(v, w) {
			return true
		}
	}
	return false
}

var noValueWords = []string{"none", "null", "nil", "<nil>", "empty", "missing", "undefined", "n/a", "-", "required",
	"invalid", "incorrect", "expired", "unset"}

// nextLineValue returns where the value starts when a key ends its line ("password:\n
// hunter2"): at the first word of the next line, unless that line holds a key of its own.
func nextLineValue(s string, v int) int {
	n := v
	if s[n] == '\r' {
		n++
	}
	if n < len(s) && s[n] == '\n' {
		n++
	}
	for n < len(s) && (s[n] == ' ' || s[n] == '\t') {
		n++
	}
	end := n
	for end < len(s) && !valueStop(s[end]) && s[end] != ':' && s[end] != '=' {
		end++
	}
	if end < len(s) && (s[end] == ':' || s[end] == '=') || end == n {
		return v // "password:\nuser: bob": the next line is not the value
	}
	return n
}

// quotedEnd returns the position of the quote q that closes a value starting at i. A
// doubled quote inside the value is one escaped quote, as CSV and SQL write it
// ("abc""def").
func quotedEnd(s string, i int, q byte) int {
	start := i
	for i < len(s) {
		if s[i] == q {
			if i > start && i+2 < len(s) && s[i+1] == q && !valueStop(s[i+2]) {
				i += 2
				continue
			}
			break
		}
		if s[i] == '\\' && i+1 < len(s) {
			i++
		}
		i++
	}
	return min(i, len(s))
}

// authSchemeLen returns the length of the scheme word at the start of an Authorization
// value followed by a credential ("Token abc", "SSWS 00x…", "Digest username=…"), or 0.
func authSchemeLen(v string) int {
	n, digits := 0, false
	for n < len(v) && (isAlnum(v[n]) || n > 0 && (v[n] == '-' || v[n] == '_')) {
		digits = digits || isDigit(v[n])
		n++
	}
	if n == 0 || n >= len(v) || v[n] != ' ' || isDigit(v[0]) {
		return 0
	}
	if (digits || n > 16) && !isAuthScheme(v[:n]) {
		return 0 // a raw credential followed by other text, not a scheme
	}
	rest := strings.TrimLeft(v[n:], " ")
	if strings.HasPrefix(rest, "[REDACTED:") || strings.HasPrefix(rest, "[HMAC:") {
		return n // masked already
	}
	if rest == "" || !credentialChar(rest[0]) {
		return 0
	}
	return n
}

// credentialEnd returns the end of the credential starting at i: a token68 run, or for
// parameter lists (Digest username="…", response="…") the rest of the line.
func credentialEnd(s string, i int) int {
	end := i
	for end < len(s) && credentialChar(s[end]) {
		end++
	}
	if end < len(s) && (s[end] == '"' || s[end] == ',') {
		for end < len(s) && s[end] != '\n' && s[end] != '\r' {
			end++
		}
	}
	return end
}

// maxBracketValue bounds the search for the ']' of a value that opens with '['.
const maxBracketValue = 256

// unquotedEnd returns the end of an unquoted value starting at v.
func unquotedEnd(s string, v int) int {
	end := v
	if v < len(s) && s[v] == '[' {
		// [REDACTED:secret], [x]y: a value that opens a bracket runs past its closing one,
		// looked for within maxBracketValue bytes on the same line (a search to the end of
		// the string made a line of "password=[ " quadratic).
		for j := v + 1; j < len(s) && j-v < maxBracketValue && s[j] != '\n' && s[j] != '\r'; j++ {
			if s[j] == ']' {
				end = j + 1
				break
			}
		}
	}
	for end < len(s) && !valueStop(s[end]) {
		end++
	}
	return end
}

func valueStop(c byte) bool {
	switch c {
	case ' ', '\t', '\n', '\r', '&', ';', ',', ')', '}', ']', '"', '\'':
		return true
	}
	return false
}

// authSchemes are the Authorization scheme words that, alone, are not a credential.
var authSchemes = []string{"bearer", "basic", "token", "digest", "negotiate", "ntlm", "apikey", "api-key",
	"ssws", "splunk", "hoba", "mutual", "dpop", "aws4-hmac-sha256", "gsstoken", "sharedkey", "otp"}

func isAuthScheme(v string) bool {
	for _, a := range authSchemes {
		if strings.EqualFold(v, a) {
			return true
		}
	}
	return false
}

func appendCookieValues(s string, from, to int, out []Span) []Span {
	for i := from; i < to; i++ {
		if s[i] != '=' {
			continue
		}
		end := i + 1
		for end < to && s[end] != ';' && s[end] != ' ' && s[end] != ',' {
			end++
		}
		if end > i+1 && !alreadyMasked(s[i+1:end]) {
			out = append(out, Span{i + 1, end, KindCookie})
		}
		i = end
	}
	return out
}

// alreadyMasked reports whether v is exactly one of our masks, or holds nothing that a
// mask would hide, so that redaction is idempotent: a placeholder ([REDACTED] or
// [REDACTED:<kind>]), a pseudonym ([HMAC:<kind>:<16 hex digits>]), a card's last four
// (****4242), or mask characters alone (****, xxxx). A value that only starts like one
// (****hunter2, [REDACTED]hunter2) is not trusted.
func alreadyMasked(v string) bool {
	switch {
	case v == "" || v == "[REDACTED]":
		return true
	case strings.HasPrefix(v, "[REDACTED:"):
		return strings.HasSuffix(v, "]") && kindName(v[len("[REDACTED:"):len(v)-1])
	case strings.HasPrefix(v, "[HMAC:"):
		kind, sum, ok := strings.Cut(v[len("[HMAC:"):], ":")
		return ok && kindName(kind) && len(sum) == 17 && sum[16] == ']' && hexDigits(sum[:16])
	case len(v) == 8 && v[:4] == "****" && allDigits(v[4:]):
		return true
	case len(v) < 4:
		return false
	}
	for i := 0; i < len(v); i++ {
		if v[i] != '*' && v[i] != 'x' && v[i] != 'X' && v[i] != '#' {
			return false
		}
	}
	return true
}

// kindName reports whether s can be a Kind in one of our placeholders.
func kindName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c >= 'a' && c <= 'z' || isDigit(c) || c == '_' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

func hexDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; !isDigit(c) && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// digitRun reads digits with single spaces or dashes between them starting at i; it
// returns the end and the digits (in buf).
func digitRun(s string, i int, buf []byte) (int, []byte) {
	end := i
	for end < len(s) {
		c := s[end]
		if isDigit(c) {
			buf = append(buf, c)
			end++
			continue
		}
		if (c == ' ' || c == '-') && end+1 < len(s) && isDigit(s[end+1]) && end > i {
			end++
			continue
		}
		break
	}
	return end, buf
}

// findCards finds card numbers: 13–19 digits, spaces or dashes allowed between them,
// that validCard accepts. A run of digit groups may join a card to numbers written next
// to it ("0.000 4111 1111 1111 1111"), so every window of whole groups holding 13–19
// digits is a candidate; it validates them itself and merges overlapping ones as it
// goes, so that a long run of groups costs a bounded amount of work per group, and
// neither a list of candidates nor a sort.
func findCards(s string, out []Span) []Span {
	n0 := len(out)
	var buf [24]byte
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) || (i > 0 && isAlnum(s[i-1])) {
			continue
		}
		end, _ := digitRun(s, i, buf[:0])
		if end < len(s) && isAlnum(s[end]) {
			i = end
			continue
		}
		for a := i; a < end; a = nextGroup(s, a, end) {
			// The longest valid window starting at a: one span a group start at most, so
			// that a long run of digit groups costs a bounded amount of work per group and
			// no candidate list.
			// Groups of one or two digits are not how cards are written ("1 2 3 … 16").
			digits, last, group := 0, -1, 0
			for b := a; b < end && digits < 19; b++ {
				if !isDigit(s[b]) {
					continue
				}
				digits++
				group++
				if b+1 == end || !isDigit(s[b+1]) { // the end of a group
					if group < 3 {
						break
					}
					if digits >= 13 && validCard(s[a:b+1]) {
						last = b + 1
					}
					group = 0
				}
			}
			switch {
			case last < 0:
			case len(out) > n0 && out[len(out)-1].End > a: // overlapping windows: one span
				out[len(out)-1].End = max(out[len(out)-1].End, last)
			default:
				out = append(out, Span{a, last, KindCard})
			}
		}
		i = end
	}
	return out
}

// nextGroup returns where the digit group after the one at a starts, or end.
func nextGroup(s string, a, end int) int {
	for a < end && isDigit(s[a]) {
		a++
	}
	return min(a+1, end)
}

// validCard reports whether the digits of c have a known brand prefix, a card's length
// and a valid Luhn check digit.
func validCard(c string) bool {
	var buf [24]byte
	d := buf[:0]
	for i := 0; i < len(c) && len(d) < len(buf); i++ {
		if isDigit(c[i]) {
			d = append(d, c[i])
		}
	}
	return len(d) >= 13 && len(d) <= 19 && cardBrand(d) && luhn(d)
}

func cardBrand(d []byte) bool {
	p2 := int(d[0]-'0')*10 + int(d[1]-'0')
	p4 := p2*100 + int(d[2]-'0')*10 + int(d[3]-'0')
	if len(d) == 15 && p2 != 34 && p2 != 37 {
		return false // 15 digits: only American Express; an IMEI is 15 digits with a Luhn digit too
	}
	switch {
	case d[0] == '4': // Visa
		return true
	case p2 >= 51 && p2 <= 55, p4 >= 2221 && p4 <= 2720: // Mastercard
		return true
	case p2 == 34 || p2 == 37: // American Express
		return true
	case p4 == 6011 || p2 == 65 || (p4 >= 6440 && p4 <= 6499): // Discover
		return true
	case p2 == 62: // UnionPay
		return true
	case p4 >= 3528 && p4 <= 3589: // JCB
		return true
	case p2 == 36 || p2 == 38 || (p4 >= 3000 && p4 <= 3059): // Diners Club
		return true
	case p2 == 50 || (p2 >= 56 && p2 <= 69): // Maestro
		return true
	}
	return false
}

func luhn(d []byte) bool {
	sum := 0
	for i := len(d) - 1; i >= 0; i-- {
		n := int(d[i] - '0')
		if (len(d)-1-i)%2 == 1 {
			n *= 2
			if n > 9 {
				n -= 9
			}
		}
		sum += n
	}
	return sum%10 == 0
}

// findIBANs finds IBAN candidates: country code, check digits and 11–30 letters or
// digits, in one piece or in groups of four; validIBAN confirms them.
func findIBANs(s string, out []Span) []Span {
	for i := 0; i+15 <= len(s); i++ {
		if !isUpper(s[i]) || !isUpper(s[i+1]) || !isDigit(s[i+2]) || !isDigit(s[i+3]) || (i > 0 && isAlnum(s[i-1])) {
			continue
		}
		var buf [40]byte
		b := buf[:0]
		end := i
		for end < len(s) && len(b) < 34 {
			c := s[end]
			if isDigit(c) || isUpper(c) {
				b = append(b, c)
				end++
				continue
			}
			if c == ' ' && end+1 < len(s) && (isDigit(s[end+1]) || isUpper(s[end+1])) && (len(b))%4 == 0 {
				end++
				continue
			}
			break
		}
		if end < len(s) && isAlnum(s[end]) {
			continue
		}
		if len(b) >= 15 {
			out = append(out, Span{i, end, KindIBAN})
		}
	}
	return out
}

// validIBAN reports whether c (spaces allowed) is valid under ISO 13616 mod 97.
func validIBAN(c string) bool {
	var buf [40]byte
	b := buf[:0]
	for i := 0; i < len(c) && len(b) < len(buf); i++ {
		if c[i] != ' ' {
			b = append(b, c[i])
		}
	}
	if len(b) < 15 {
		return false
	}
	rem := 0
	add := func(c byte) {
		if isDigit(c) {
			rem = (rem*10 + int(c-'0')) % 97
		} else {
			v := int(c-'A') + 10
			rem = (rem*100 + v) % 97
		}
	}
	for _, c := range b[4:] {
		add(c)
	}
	for _, c := range b[:4] {
		add(c)
	}
	return rem == 1
}

// findSSNs finds US social security numbers written AAA-GG-SSSS; validSSN checks them.
func findSSNs(s string, out []Span) []Span {
	for i := 0; i+11 <= len(s); i++ {
		if !isDigit(s[i]) || (i > 0 && (isAlnum(s[i-1]) || s[i-1] == '-')) {
			continue
		}
		t := s[i : i+11]
		if t[3] != '-' || t[6] != '-' || !allDigits(t[:3]) || !allDigits(t[4:6]) || !allDigits(t[7:]) {
			continue
		}
		if i+11 < len(s) && (isAlnum(s[i+11]) || s[i+11] == '-') {
			continue
		}
		out = append(out, Span{i, i + 11, KindSSN})
		i += 10
	}
	return out
}

// validSSN applies the SSA's structure rules to AAA-GG-SSSS: no area 000, 666 or 9xx,
// no group 00, no serial 0000.
func validSSN(t string) bool {
	return len(t) == 11 && t[:3] != "000" && t[:3] != "666" && t[0] != '9' && t[4:6] != "00" && t[7:] != "0000"
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}

// findNINOs masks UK National Insurance numbers: two letters, six digits (optionally in
// pairs), a final A–D.
func findNINOs(s string, out []Span) []Span {
	for i := 0; i+9 <= len(s); i++ {
		if !isUpper(s[i]) || !isUpper(s[i+1]) || (i > 0 && isAlnum(s[i-1])) {
			continue
		}
		if strings.IndexByte("DFIUV", s[i]) >= 0 || strings.IndexByte("DFIOUV", s[i+1]) >= 0 || invalidNINOPrefix(s[i:i+2]) {
			continue
		}
		j, digits := i+2, 0
		for j < len(s) && digits < 6 {
			if s[j] == ' ' && digits%2 == 0 && j+1 < len(s) && isDigit(s[j+1]) {
				j++
				continue
			}
			if !isDigit(s[j]) {
				break
			}
			digits++
			j++
		}
		if digits != 6 {
			continue
		}
		if j < len(s) && s[j] == ' ' {
			j++
		}
		if j >= len(s) || s[j] < 'A' || s[j] > 'D' || (j+1 < len(s) && isAlnum(s[j+1])) {
			continue
		}
		out = append(out, Span{i, j + 1, KindNINO})
		i = j
	}
	return out
}

// invalidNINOPrefix: prefixes HMRC never allocates.
func invalidNINOPrefix(p string) bool {
	switch p {
	case "BG", "GB", "NK", "KN", "TN", "NT", "ZZ":
		return true
	}
	return false
}

// findEmails masks addresses local@domain.tld.
func findEmails(s string, out []Span) []Span {
	for from := 0; ; {
		j := strings.IndexByte(s[from:], '@')
		if j < 0 {
			return out
		}
		at := from + j
		from = at + 1
		start := at
		for start > 0 && emailLocal(s[start-1]) {
			start--
		}
		end := at + 1
		for end < len(s) && (isAlnum(s[end]) || s[end] == '-' || s[end] == '.') {
			end++
		}
		for end > at+1 && s[end-1] == '.' { // a sentence's full stop
			end--
		}
		// The last dot of the domain only: looking before the '@' made a line of '@'
		// quadratic.
		dot := at + 1 + strings.LastIndexByte(s[at+1:end], '.')
		if start == at || dot <= at+1 || dot >= end-2 {
			continue
		}
		if end+1 < len(s) && s[end] == ':' && s[end+1] != ' ' || start >= 2 && s[start-2:start] == "//" {
			continue // an SSH or SCP remote, git@github.com:org/repo or ssh://git@host/repo
		}
		out = append(out, Span{start, end, KindEmail})
		from = end
	}
}

func emailLocal(c byte) bool {
	return isAlnum(c) || c == '.' || c == '_' || c == '%' || c == '+' || c == '-'
}

// findPhones masks international numbers: '+', a country code and 7–15 digits in all,
// with single spaces, dashes, dots or parentheses between groups, a space after a
// closing parenthesis too.
func findPhones(s string, out []Span) []Span {
	for from := 0; ; {
		j := strings.IndexByte(s[from:], '+')
		if j < 0 {
			return out
		}
		i := from + j
		from = i + 1
		if i > 0 && isAlnum(s[i-1]) || i+1 >= len(s) || !isDigit(s[i+1]) || s[i+1] == '0' {
			continue
		}
		end, digits := i+1, 0
		for end < len(s) {
			c := s[end]
			if isDigit(c) {
				digits++
				end++
				continue
			}
			if (c == ' ' || c == '-' || c == '.' || c == '(' || c == ')') && end+1 < len(s) && (isDigit(s[end+1]) || s[end+1] == '(') {
				end++
				continue
			}
			if c == ')' && end+2 < len(s) && s[end+1] == ' ' && isDigit(s[end+2]) {
				end += 2 // +1 (415) 555-0132
				continue
			}
			break
		}
		if end < len(s) && isAlnum(s[end]) {
			continue
		}
		if digits >= 7 && digits <= 15 {
			out = append(out, Span{i, end, KindPhone})
			from = end
		}
	}
}
