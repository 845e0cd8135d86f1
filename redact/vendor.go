package redact

import "strings"

// Character sets of vendor tokens, and the vendor tokens without a fixed prefix.

func isHex(c byte) bool { return isDigit(c) || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' }

func isAlpha(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

func isUpperAlnum(c byte) bool { return isUpper(c) || isDigit(c) }

func hexOrDash(c byte) bool { return isHex(c) || c == '-' }

func base64Char(c byte) bool {
	return isAlnum(c) || c == '+' || c == '/' || c == '=' || c == '_' || c == '-'
}

func atlassianChar(c byte) bool { return isTokenChar(c) || c == '=' }

// discordEnd returns the end of a Discord bot token starting at i — a base64 user ID
// (24–26 characters, starting M, N or O), a 6-character timestamp and an HMAC of 27–38,
// separated by dots — or 0.
func discordEnd(s string, i int) int {
	if !boundaryBefore(s, i) {
		return 0
	}
	n := i
	for n < len(s) && isAlnum(s[n]) {
		n++
	}
	if n-i < 24 || n-i > 26 || n >= len(s) || s[n] != '.' {
		return 0
	}
	t := n + 1
	for t < len(s) && isTokenChar(s[t]) {
		t++
	}
	if t-n-1 != 6 || t >= len(s) || s[t] != '.' {
		return 0
	}
	h := t + 1
	for h < len(s) && isTokenChar(s[h]) {
		h++
	}
	if h-t-1 < 27 || h-t-1 > 38 || h+1 < len(s) && s[h] == '.' && isTokenChar(s[h+1]) {
		return 0
	}
	return h
}

func findDiscordTokens(s string, out []Span) []Span {
	for i := 0; i < len(s); i++ {
		if s[i] != 'M' && s[i] != 'N' && s[i] != 'O' {
			continue
		}
		if end := discordEnd(s, i); end > 0 {
			out = append(out, Span{i, end, KindDiscordToken})
			i = end
		}
	}
	return out
}

// botPath reports whether the token at i follows "/bot" in a Bot API URL
// (https://api.telegram.org/bot<token>/getUpdates).
func botPath(s string, i int) bool { return i >= 4 && s[i-4:i] == "/bot" }

// findTelegramTokens masks Telegram bot tokens: the bot's numeric ID (8–10 digits), a
// colon and 35 characters starting "AA"; alone or after "/bot" in an API URL.
func findTelegramTokens(s string, out []Span) []Span {
	for from := 0; ; {
		j := strings.Index(s[from:], ":AA")
		if j < 0 {
			return out
		}
		c := from + j
		from = c + 1
		start := c
		for start > 0 && isDigit(s[start-1]) {
			start--
		}
		if c-start < 8 || c-start > 10 || !boundaryBefore(s, start) && !botPath(s, start) {
			continue
		}
		end := c + 1
		for end < len(s) && isTokenChar(s[end]) {
			end++
		}
		if end-c-1 != 35 {
			continue
		}
		out = append(out, Span{start, end, KindTelegramBot})
		from = end
	}
}
