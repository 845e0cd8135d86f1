package redact

import "strings"

// Text forms beyond key=value: the ways people write a secret into a sentence, a markup
// document or a command line.

// findIsForms masks "password is x": a secret key, the word "is", and a value that looks
// like a secret (it holds a digit, a capital after the first letter or a symbol, or it is
// quoted). "password is incorrect" and "token is expired" stay.
func (r *Redactor) findIsForms(s string, out []Span) []Span {
	for from := 0; ; {
		j := strings.Index(s[from:], " is ")
		if j < 0 {
			return out
		}
		at := from + j
		from = at + 4
		kStart := at
		for kStart > 0 && (isTokenChar(s[kStart-1]) || s[kStart-1] == '.') {
			kStart--
		}
		if kStart == at {
			continue
		}
		kind := r.keyKind(s[kStart:at])
		if k2 := kStart - 1; k2 > 0 && s[k2] == ' ' { // two words: "the api key is x"
			for k2 > 0 && isTokenChar(s[k2-1]) {
				k2--
			}
			if kind2 := r.keyKind(s[k2:at]); kind2 != KindNone && k2 < kStart-1 {
				kind = kind2
			}
		}
		if kind == KindNone || kind == KindCookie {
			continue
		}
		v := at + 4
		var vStart, vEnd int
		if v < len(s) && (s[v] == '"' || s[v] == '\'') {
			vStart, vEnd = v+1, quotedEnd(s, v+1, s[v])
		} else {
			vStart, vEnd = v, unquotedEnd(s, v)
			for vEnd > vStart && (s[vEnd-1] == '.' || s[vEnd-1] == '!' || s[vEnd-1] == '?') {
				vEnd-- // the sentence's end
			}
			if !looksSecret(s[vStart:vEnd]) {
				continue
			}
		}
		if vEnd > vStart && !alreadyMasked(s[vStart:vEnd]) {
			out = append(out, Span{vStart, vEnd, kind})
			from = vEnd
		}
	}
}

// looksSecret tells a credential from a word of prose: it holds a digit, a capital after
// its first letter, or a symbol.
func looksSecret(v string) bool {
	if len(v) < 3 {
		return false
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		if isDigit(c) || i > 0 && isUpper(c) || !isAlnum(c) && c < 0x80 {
			return true
		}
	}
	return false
}

// findXMLElements masks the text of elements named like a secret key:
// <password>x</password>, <api-key>x</api-key>.
func (r *Redactor) findXMLElements(s string, out []Span) []Span {
	for from := 0; ; {
		j := strings.IndexByte(s[from:], '<')
		if j < 0 {
			return out
		}
		open := from + j
		from = open + 1
		nEnd := open + 1
		for nEnd < len(s) && (isTokenChar(s[nEnd]) || s[nEnd] == '.' || s[nEnd] == ':') {
			nEnd++
		}
		if nEnd == open+1 || nEnd >= len(s) || s[nEnd] != '>' {
			continue
		}
		name := s[open+1 : nEnd]
		if c := strings.LastIndexByte(name, ':'); c >= 0 {
			name = name[c+1:] // a namespace prefix
		}
		kind := r.keyKind(name)
		if kind == KindNone {
			continue
		}
		vStart := nEnd + 1
		vEnd := strings.IndexByte(s[vStart:], '<')
		if vEnd < 0 || !strings.HasPrefix(s[vStart+vEnd:], "</") {
			continue
		}
		vEnd += vStart
		if vEnd > vStart && !alreadyMasked(s[vStart:vEnd]) && !notSecret(name, s[vStart:vEnd]) {
			out = append(out, Span{vStart, vEnd, kind})
		}
		from = vEnd
	}
}

// findFlags masks the value of command-line flags named like a secret key, written with a
// space: --password hunter2, --api-key x. (--password=x is a key=value pair.)
func (r *Redactor) findFlags(s string, out []Span) []Span {
	for from := 0; ; {
		j := strings.Index(s[from:], "--")
		if j < 0 {
			return out
		}
		at := from + j
		from = at + 2
		if !boundaryBefore(s, at) {
			continue
		}
		nEnd := at + 2
		for nEnd < len(s) && isTokenChar(s[nEnd]) {
			nEnd++
		}
		if nEnd == at+2 || nEnd+1 >= len(s) || s[nEnd] != ' ' {
			continue
		}
		kind := r.keyKind(s[at+2 : nEnd])
		if kind == KindNone || kind == KindCookie {
			continue
		}
		v := nEnd + 1
		var vStart, vEnd int
		switch {
		case s[v] == '-':
			continue // the next flag: this one takes no value
		case s[v] == '"' || s[v] == '\'':
			vStart, vEnd = v+1, quotedEnd(s, v+1, s[v])
		default:
			vStart, vEnd = v, v
			for vEnd < len(s) && s[vEnd] != ' ' && s[vEnd] != '\t' && s[vEnd] != '\n' && s[vEnd] != '"' {
				vEnd++
			}
		}
		if vEnd > vStart && !alreadyMasked(s[vStart:vEnd]) {
			out = append(out, Span{vStart, vEnd, kind})
			from = vEnd
		}
	}
}

// findCurlUsers masks the password of curl's -u/--user user:password (and --proxy-user).
func findCurlUsers(s string, out []Span) []Span {
	for from := 0; ; {
		j := strings.IndexByte(s[from:], '-')
		if j < 0 {
			return out
		}
		at := from + j
		from = at + 1
		if at > 0 && s[at-1] != ' ' {
			continue
		}
		flag := 0
		for _, f := range []string{"-u ", "-U ", "--user ", "--user=", "--proxy-user "} {
			if strings.HasPrefix(s[at:], f) {
				flag = len(f)
				break
			}
		}
		if flag == 0 {
			continue
		}
		v := at + flag
		for v < len(s) && s[v] == ' ' {
			v++
		}
		quote := byte(0)
		if v < len(s) && (s[v] == '"' || s[v] == '\'') {
			quote = s[v]
			v++
		}
		end := v
		for end < len(s) && s[end] != ' ' && s[end] != '\t' && s[end] != '\n' && s[end] != quote && s[end] != '"' {
			end++
		}
		c := strings.IndexByte(s[v:end], ':')
		if c < 0 || v+c+1 >= end || alreadyMasked(s[v+c+1:end]) {
			continue
		}
		out = append(out, Span{v + c + 1, end, KindURLPassword})
		from = end
	}
}

// findDSNPasswords masks the password of data source names without a scheme, as Go's
// MySQL driver writes them: user:password@tcp(host:3306)/db, user:password@unix(/sock)/db,
// user:password@/db. SSH and SCP remotes (git@github.com:org/repo) have no password and
// do not match.
func findDSNPasswords(s string, out []Span) []Span {
	for from := 0; ; {
		j := strings.IndexByte(s[from:], '@')
		if j < 0 {
			return out
		}
		at := from + j
		from = at + 1
		rest := s[at+1:]
		if !strings.HasPrefix(rest, "tcp(") && !strings.HasPrefix(rest, "tcp6(") && !strings.HasPrefix(rest, "unix(") &&
			!strings.HasPrefix(rest, "udp(") && !strings.HasPrefix(rest, "(") && !strings.HasPrefix(rest, "/") {
			continue
		}
		start := at // user:password, neither holding what ends a value (so that key=value agrees)
		for start > 0 && !valueStop(s[start-1]) && s[start-1] != '=' && s[start-1] != '/' && s[start-1] != '@' {
			start--
		}
		c := strings.IndexByte(s[start:at], ':')
		if c < 0 || start+c+1 == at || alreadyMasked(s[start+c+1:at]) {
			continue
		}
		out = append(out, Span{start + c + 1, at, KindURLPassword})
	}
}

// commands are the programs whose password arguments findCommandPasswords knows, as
// their command word starts: mysql (mysqldump, mysqladmin…), mariadb, sshpass, docker,
// podman, nerdctl and helm (… login), openssl, htpasswd.
var commands = []string{"mysql", "mariadb", "sshpass", "docker", "podman", "nerdctl", "helm", "openssl", "htpasswd"}

// maxCommand bounds the arguments read after a command word.
const maxCommand = 256

// findCommandPasswords masks the passwords that command lines pass as arguments:
// mysql -pSECRET (attached: -p alone prompts), sshpass -p SECRET, docker login -p SECRET,
// openssl -k SECRET and -pass pass:SECRET, htpasswd -b file user SECRET. The arguments
// are read up to the end of the line or a shell separator, at most maxCommand bytes.
func (r *Redactor) findCommandPasswords(s string, out []Span) []Span {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != 'm' && c != 's' && c != 'd' && c != 'p' && c != 'n' && c != 'h' && c != 'o' || i > 0 && s[i-1] != ' ' && s[i-1] != '/' && s[i-1] != '\t' && s[i-1] != '\n' && s[i-1] != '"' && s[i-1] != '\'' && s[i-1] != '`' && s[i-1] != '(' {
			continue
		}
		w := i
		for w < len(s) && (isAlnum(s[w]) || s[w] == '-' || s[w] == '_') {
			w++
		}
		cmd := s[i:w]
		known := ""
		for _, k := range commands {
			if strings.HasPrefix(cmd, k) {
				known = k
				break
			}
		}
		if known == "" {
			i = w
			continue
		}
		end := w
		for end < len(s) && end-w < maxCommand && s[end] != '\n' && s[end] != '\r' && s[end] != ';' && s[end] != '|' && s[end] != '&' {
			end++
		}
		out = commandPasswords(s, known, w, end, out)
		i = w
	}
	return out
}

// commandPasswords reads the arguments of the command known in s[from:to].
func commandPasswords(s, known string, from, to int, out []Span) []Span {
	var args [16][2]int // start and end of each argument, quotes excluded
	n := 0
	for i := from; i < to && n < len(args); {
		for i < to && (s[i] == ' ' || s[i] == '\t') {
			i++
		}
		if i >= to {
			break
		}
		start, end := i, i
		if q := s[i]; q == '"' || q == '\'' {
			start = i + 1
			end = start
			for end < to && s[end] != q {
				end++
			}
			i = min(end+1, to)
		} else {
			for end < to && s[end] != ' ' && s[end] != '\t' {
				end++
			}
			i = end
		}
		args[n] = [2]int{start, end}
		n++
	}
	arg := func(k int) string { return s[args[k][0]:args[k][1]] }
	mask := func(start, end int) {
		if end > start && !alreadyMasked(s[start:end]) {
			out = append(out, Span{start, end, KindSecret})
		}
	}
	login, batch, noFile := false, false, false
	positional := 0
	for k := 0; k < n; k++ {
		a := arg(k)
		switch known {
		case "mysql", "mariadb":
			if len(a) > 2 && a[:2] == "-p" && a[2] != '-' {
				mask(args[k][0]+2, args[k][1])
			}
		case "sshpass":
			if a == "-p" && k+1 < n {
				mask(args[k+1][0], args[k+1][1])
			} else if len(a) > 2 && a[:2] == "-p" {
				mask(args[k][0]+2, args[k][1])
			}
		case "openssl":
			if (a == "-k" || a == "-pass" || a == "-passin" || a == "-passout") && k+1 < n {
				v := args[k+1]
				if a != "-k" {
					if !strings.HasPrefix(arg(k+1), "pass:") {
						continue
					}
					v[0] += len("pass:")
				}
				mask(v[0], v[1])
			}
		case "htpasswd":
			if len(a) > 1 && a[0] == '-' {
				batch = batch || strings.IndexByte(a, 'b') > 0
				noFile = noFile || strings.IndexByte(a, 'n') > 0
				continue
			}
			positional++
			if batch && (positional == 3 || noFile && positional == 2) {
				mask(args[k][0], args[k][1])
			}
		default: // docker login, podman login, helm registry login
			if a == "login" {
				login = true
			}
			if login && a == "-p" && k+1 < n {
				mask(args[k+1][0], args[k+1][1])
			}
		}
	}
	return out
}

// findNamedValues masks the value of a key/value pair written as two attributes, as .NET
// appSettings and many XML configurations do: <add key="ApiKey" value="x"/>,
// <param name="password" value="x"/>. The attribute before value= is key= or name= and
// names a secret.
func (r *Redactor) findNamedValues(s string, out []Span) []Span {
	for from := 0; ; {
		j := strings.Index(s[from:], "value=")
		if j < 0 {
			return out
		}
		at := from + j
		from = at + len("value=")
		v := from
		if v >= len(s) || (s[v] != '"' && s[v] != '\'') || at < 2 || s[at-1] != ' ' {
			continue
		}
		// The attribute before: key="name" or name="name", at most maxKey bytes of name.
		q := at - 1
		for q > 0 && s[q-1] == ' ' {
			q--
		}
		if q == 0 || s[q-1] != s[v] {
			continue
		}
		open := strings.LastIndexByte(s[max(0, q-1-maxKey):q-1], s[v])
		if open < 0 {
			continue
		}
		open += max(0, q-1-maxKey)
		name := s[open+1 : q-1]
		attr := s[:open]
		if !strings.HasSuffix(attr, "key=") && !strings.HasSuffix(attr, "name=") &&
			!strings.HasSuffix(attr, "Key=") && !strings.HasSuffix(attr, "Name=") {
			continue
		}
		kind := r.keyKind(name)
		if kind == KindNone || kind == KindCookie {
			continue
		}
		vStart := v + 1
		vEnd := quotedEnd(s, vStart, s[v])
		if vEnd > vStart && !alreadyMasked(s[vStart:vEnd]) && !notSecret(name, s[vStart:vEnd]) {
			out = append(out, Span{vStart, vEnd, kind})
		}
		from = vEnd
	}
}
