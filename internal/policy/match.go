package policy

import (
	"strings"
	"unicode/utf8"
)

// tokKind is one piece of a compiled pattern.
type tokKind uint8

const (
	tokLit  tokKind = iota // literal text (escapes ${*} ${?} ${$} already folded in)
	tokStar                // '*': any run of characters, possibly empty
	tokOne                 // '?': exactly one character
	tokVar                 // ${key} or ${key, 'default'}: replaced by the request's value
)

type token struct {
	kind   tokKind
	text   string  // tokLit: the text; tokVar: the default value
	hasDef bool    // tokVar: a default was written
	key    condKey // tokVar: what to look up
}

// patKind selects a fast path chosen at Parse time.
type patKind uint8

const (
	patAny    patKind = iota // "*" alone: matches everything
	patExact                 // no wildcards, no variables
	patPrefix                // literal followed by one trailing '*'
	patGlob                  // the general case
)

// pattern is a compiled Action, Resource or string condition value.
type pattern struct {
	kind patKind
	fold bool   // compare ASCII case-insensitively (actions, *IgnoreCase)
	lit  string // patExact / patPrefix
	toks []token
}

// compilePattern compiles s. wild says whether '*' and '?' are wildcards;
// vars whether ${...} is a policy variable (Version 2012-10-17 only).
func compilePattern(s string, wild, vars, fold bool) pattern {
	toks := tokenize(s, wild, vars)
	p := pattern{fold: fold, toks: toks}
	switch {
	case len(toks) == 1 && toks[0].kind == tokStar:
		p.kind = patAny
	case len(toks) == 0:
		p.kind = patExact
	case len(toks) == 1 && toks[0].kind == tokLit:
		p.kind, p.lit = patExact, toks[0].text
	case len(toks) == 2 && toks[0].kind == tokLit && toks[1].kind == tokStar:
		p.kind, p.lit = patPrefix, toks[0].text
	default:
		p.kind = patGlob
	}
	return p
}

func (p *pattern) hasVars() bool {
	for i := range p.toks {
		if p.toks[i].kind == tokVar {
			return true
		}
	}
	return false
}

// tokenize splits s into tokens, merging adjacent literal text.
func tokenize(s string, wild, vars bool) []token {
	var toks []token
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			toks = append(toks, token{kind: tokLit, text: lit.String()})
			lit.Reset()
		}
	}
	for i := 0; i < len(s); {
		c := s[i]
		if vars && c == '$' && i+1 < len(s) && s[i+1] == '{' {
			if end, tok, ok := parseVar(s[i:]); ok {
				if tok.kind == tokLit {
					lit.WriteString(tok.text)
				} else {
					flush()
					toks = append(toks, tok)
				}
				i += end
				continue
			}
		}
		if wild && c == '*' {
			flush()
			if n := len(toks); n == 0 || toks[n-1].kind != tokStar { // "**" == "*"
				toks = append(toks, token{kind: tokStar})
			}
			i++
			continue
		}
		if wild && c == '?' {
			flush()
			toks = append(toks, token{kind: tokOne})
			i++
			continue
		}
		lit.WriteByte(c)
		i++
	}
	flush()
	return toks
}

// parseVar parses a policy variable at the start of s ("${...}"). It returns
// the length consumed. ${*}, ${?} and ${$} are literal characters (IAM policy
// variables: "special characters"). ${key, 'default'} carries a default; a
// doubled single quote inside the default stands for one quote. Anything else unterminated is
// not a variable and stays literal text.
func parseVar(s string) (int, token, bool) {
	end := -1
	inQuote := false
	for i := 2; i < len(s); i++ {
		switch s[i] {
		case '\'':
			if inQuote && i+1 < len(s) && s[i+1] == '\'' {
				i++
				continue
			}
			inQuote = !inQuote
		case '}':
			if !inQuote {
				end = i
			}
		}
		if end >= 0 {
			break
		}
	}
	if end < 0 {
		return 0, token{}, false
	}
	body := s[2:end]
	switch body {
	case "*", "?", "$":
		return end + 1, token{kind: tokLit, text: body}, true
	}
	name, def, hasDef := body, "", false
	if c := strings.IndexByte(body, ','); c >= 0 {
		name = body[:c]
		d := strings.TrimSpace(body[c+1:])
		if len(d) < 2 || d[0] != '\'' || d[len(d)-1] != '\'' {
			return 0, token{}, false
		}
		def, hasDef = strings.ReplaceAll(d[1:len(d)-1], "''", "'"), true
	}
	name = strings.TrimSpace(name)
	if name == "" || strings.ContainsAny(name, " '") {
		return 0, token{}, false
	}
	return end + 1, token{kind: tokVar, key: compileKey(name), text: def, hasDef: hasDef}, true
}

// maxVars bounds the variables resolved on the stack for one pattern; patterns
// with more are resolved on the heap (rare, still correct).
const maxVars = 8

// match reports whether s matches p for the request in e. A variable that
// cannot be resolved (absent, multi-valued, no default) makes the pattern not
// match, as IAM documents for missing policy-variable keys.
func (p *pattern) match(s string, e *evalCtx) bool {
	switch p.kind {
	case patAny:
		return true
	case patExact:
		if p.fold {
			return asciiEqualFold(p.lit, s)
		}
		return p.lit == s
	case patPrefix:
		if len(s) < len(p.lit) {
			return false
		}
		if p.fold {
			return asciiEqualFold(p.lit, s[:len(p.lit)])
		}
		return s[:len(p.lit)] == p.lit
	}
	var stack [maxVars]string
	res := stack[:0]
	for i := range p.toks {
		t := &p.toks[i]
		if t.kind != tokVar {
			continue
		}
		v, ok := e.variable(&t.key)
		if !ok {
			if !t.hasDef {
				return false
			}
			v = t.text
		}
		res = append(res, v)
	}
	return globMatch(p.toks, res, s, p.fold)
}

// globMatch is the linear-time wildcard match: '*' backtracking needs only the
// last star, so the cost is O(len(pattern)·len(s)) at worst, never exponential.
// res holds the resolved values of the tokVar tokens, in order.
func globMatch(toks []token, res []string, s string, fold bool) bool {
	// Pattern position: token ti, byte oi inside a literal; ri counts vars before ti.
	ti, oi, ri, si := 0, 0, 0, 0
	starTi, starRi, starSi := -1, 0, 0
	text := func(ti, ri int) string {
		if toks[ti].kind == tokVar {
			return res[ri]
		}
		return toks[ti].text
	}
	for {
		// Skip exhausted literal/var tokens.
		for ti < len(toks) && (toks[ti].kind == tokLit || toks[ti].kind == tokVar) && oi >= len(text(ti, ri)) {
			if toks[ti].kind == tokVar {
				ri++
			}
			ti, oi = ti+1, 0
		}
		if si == len(s) {
			for ti < len(toks) && toks[ti].kind == tokStar {
				ti++
			}
			if ti == len(toks) {
				return true
			}
		} else if ti < len(toks) {
			switch toks[ti].kind {
			case tokStar:
				ti++
				starTi, starRi, starSi = ti, ri, si
				oi = 0
				continue
			case tokOne:
				_, n := utf8.DecodeRuneInString(s[si:])
				si += n
				ti++
				continue
			default:
				t := text(ti, ri)
				a, b := t[oi], s[si]
				if a == b || (fold && lower(a) == lower(b)) {
					oi++
					si++
					continue
				}
			}
		}
		if starTi < 0 || starSi >= len(s) {
			return false
		}
		starSi++
		ti, ri, oi, si = starTi, starRi, 0, starSi
	}
}

func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

func asciiEqualFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		if a[i] != b[i] && lower(a[i]) != lower(b[i]) {
			return false
		}
	}
	return true
}
