package awsjson

import (
	"encoding/binary"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// MaxDepth is the deepest nesting of objects and arrays a Decoder accepts;
// the body's own object is level 1. Deeper input fails with ErrTooDeep
// before any work proportional to the nesting is done.
const MaxDepth = 64

// String scan flags.
const (
	strEscaped = 1 << iota // contains a backslash escape
	strHigh                // contains a byte >= 0x80 (maybe invalid UTF-8)
)

const (
	lsb = 0x0101010101010101
	msb = 0x8080808080808080
)

// special returns a non-zero value if any of the 8 bytes packed in x is
// '"', '\\', a control character (< 0x20) or a byte >= 0x80. Each term
// detects presence exactly when no byte has its high bit set, and the last
// term catches the bytes that do.
func special(x uint64) uint64 {
	q := x ^ (lsb * '"')
	b := x ^ (lsb * '\\')
	return ((q-lsb)&^q | (b-lsb)&^b | (x-lsb*0x20)&^x | x) & msb
}

// skipWS returns the index of the first byte at or after i that is not
// JSON whitespace.
func skipWS(buf []byte, i int) int {
	for i < len(buf) {
		switch buf[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

// fail records a syntax or depth error; parsing stops at the first one.
// It returns -1 so that scanners can `return d.fail(...)`.
func (d *Decoder) fail(e *Error) int {
	if d.err == nil {
		d.err = e
	}
	return -1
}

// eof fails for input that ends inside a value.
func (d *Decoder) eof(i int) int {
	return d.fail(syntaxError(i, "unexpected end of JSON input"))
}

// unexpected fails for byte i, which cannot appear in this context.
func (d *Decoder) unexpected(i int, context string) int {
	if i >= len(d.buf) {
		return d.eof(i)
	}
	return d.fail(syntaxError(i, "invalid character "+strconv.QuoteRune(rune(d.buf[i]))+" "+context))
}

// tooDeep fails for a container opened at i beyond MaxDepth.
func (d *Decoder) tooDeep(i int) int {
	e := syntaxError(i, "nesting deeper than "+strconv.Itoa(MaxDepth)+" levels")
	e.cause = ErrTooDeep
	return d.fail(e)
}

// scanString validates the JSON string whose opening quote is at i. It
// returns the index just past the closing quote and flags describing the
// contents, or -1 after recording a syntax error. Bytes >= 0x80 are
// accepted whether or not they are valid UTF-8, as encoding/json does.
func (d *Decoder) scanString(i int) (int, uint8) {
	buf := d.buf
	var flags uint8
	j := i + 1
	for {
		for j+8 <= len(buf) && special(binary.LittleEndian.Uint64(buf[j:])) == 0 {
			j += 8
		}
		if j >= len(buf) {
			return d.eof(j), 0
		}
		switch c := buf[j]; {
		case c == '"':
			return j + 1, flags
		case c == '\\':
			flags |= strEscaped
			if j+1 >= len(buf) {
				return d.eof(j + 1), 0
			}
			switch buf[j+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				j += 2
			case 'u':
				for k := j + 2; k < j+6; k++ {
					if k >= len(buf) {
						return d.eof(k), 0
					}
					if unhex(buf[k]) < 0 {
						return d.unexpected(k, "in \\u hexadecimal character escape"), 0
					}
				}
				j += 6
			default:
				return d.unexpected(j+1, "in string escape code"), 0
			}
		case c < 0x20:
			return d.unexpected(j, "in string literal"), 0
		default:
			if c >= utf8.RuneSelf {
				flags |= strHigh
			}
			j++
		}
	}
}

func unhex(c byte) rune {
	switch {
	case '0' <= c && c <= '9':
		return rune(c - '0')
	case 'a' <= c && c <= 'f':
		return rune(c - 'a' + 10)
	case 'A' <= c && c <= 'F':
		return rune(c - 'A' + 10)
	}
	return -1
}

// getu4 decodes the \uXXXX escape at the start of s, or returns -1.
func getu4(s []byte) rune {
	if len(s) < 6 || s[0] != '\\' || s[1] != 'u' {
		return -1
	}
	var r rune
	for _, c := range s[2:6] {
		h := unhex(c)
		if h < 0 {
			return -1
		}
		r = r<<4 | h
	}
	return r
}

// unquote appends to dst the value of the string contents s (between the
// quotes, already validated by scanString), exactly as encoding/json
// unquotes it: escapes are decoded, a \u escape of an unpaired surrogate
// becomes U+FFFD, and each byte of invalid UTF-8 becomes U+FFFD.
func unquote(dst, s []byte) []byte {
	for r := 0; r < len(s); {
		c := s[r]
		switch {
		case c == '\\':
			switch s[r+1] {
			case 'b':
				dst = append(dst, '\b')
			case 'f':
				dst = append(dst, '\f')
			case 'n':
				dst = append(dst, '\n')
			case 'r':
				dst = append(dst, '\r')
			case 't':
				dst = append(dst, '\t')
			case 'u':
				rr := getu4(s[r:])
				r += 6
				if utf16.IsSurrogate(rr) {
					if dec := utf16.DecodeRune(rr, getu4(s[r:])); dec != utf8.RuneError {
						r += 6
						dst = utf8.AppendRune(dst, dec)
						continue
					}
					rr = utf8.RuneError
				}
				dst = utf8.AppendRune(dst, rr)
				continue
			default: // '"', '\\', '/'
				dst = append(dst, s[r+1])
			}
			r += 2
		case c < utf8.RuneSelf:
			dst = append(dst, c)
			r++
		default:
			rr, size := utf8.DecodeRune(s[r:])
			r += size
			dst = utf8.AppendRune(dst, rr)
		}
	}
	return dst
}

// scanNumber validates the JSON number starting at i (RFC 8259 section 6)
// and returns the index just past it, or -1.
func (d *Decoder) scanNumber(i int) int {
	buf := d.buf
	j := i
	if buf[j] == '-' {
		j++
	}
	switch {
	case j >= len(buf):
		return d.eof(j)
	case buf[j] == '0':
		j++
	case '1' <= buf[j] && buf[j] <= '9':
		j = digits(buf, j+1)
	default:
		return d.unexpected(j, "in numeric literal")
	}
	if j < len(buf) && buf[j] == '.' {
		j++
		if j >= len(buf) {
			return d.eof(j)
		}
		if k := digits(buf, j); k > j {
			j = k
		} else {
			return d.unexpected(j, "after decimal point in numeric literal")
		}
	}
	if j < len(buf) && (buf[j] == 'e' || buf[j] == 'E') {
		j++
		if j < len(buf) && (buf[j] == '+' || buf[j] == '-') {
			j++
		}
		if j >= len(buf) {
			return d.eof(j)
		}
		if k := digits(buf, j); k > j {
			j = k
		} else {
			return d.unexpected(j, "in exponent of numeric literal")
		}
	}
	return j
}

func digits(buf []byte, j int) int {
	for j < len(buf) && '0' <= buf[j] && buf[j] <= '9' {
		j++
	}
	return j
}

// literal checks that the literal lit (true, false or null) starts at i and
// returns the index just past it, or -1.
func (d *Decoder) literal(i int, lit string) int {
	for k := 1; k < len(lit); k++ {
		if i+k >= len(d.buf) {
			return d.eof(i + k)
		}
		if d.buf[i+k] != lit[k] {
			return d.unexpected(i+k, "in literal "+lit+" (expecting "+strconv.QuoteRune(rune(lit[k]))+")")
		}
	}
	return i + len(lit)
}

// scalar validates the string, number or literal starting at i and returns
// the index just past it, or -1.
func (d *Decoder) scalar(i int) int {
	switch c := d.buf[i]; {
	case c == '"':
		j, _ := d.scanString(i)
		return j
	case c == 't':
		return d.literal(i, "true")
	case c == 'f':
		return d.literal(i, "false")
	case c == 'n':
		return d.literal(i, "null")
	case c == '-' || '0' <= c && c <= '9':
		return d.scanNumber(i)
	}
	return d.unexpected(i, "looking for beginning of value")
}

// objectKey validates `"key" :` starting at i (the key's quote) and returns
// the index just past the colon, or -1.
func (d *Decoder) objectKey(i int) int {
	if i >= len(d.buf) || d.buf[i] != '"' {
		return d.unexpected(i, "looking for beginning of object key string")
	}
	if i, _ = d.scanString(i); i < 0 {
		return -1
	}
	i = skipWS(d.buf, i)
	if i >= len(d.buf) || d.buf[i] != ':' {
		return d.unexpected(i, "after object key")
	}
	return i + 1
}

// skipValue validates the value starting at or after i (leading whitespace
// allowed) and returns the index just past it, or -1. It is iterative: the
// kind of each open container is one bit of a uint64, which MaxDepth keeps
// large enough, and it runs in time linear in the bytes it consumes.
func (d *Decoder) skipValue(i int) int {
	buf := d.buf
	var objs uint64 // bit l-1 set: container at level l is an object
	level := 0
	for {
		i = skipWS(buf, i)
		if i >= len(buf) {
			return d.eof(i)
		}
		if c := buf[i]; c == '{' || c == '[' {
			if d.depth+level >= MaxDepth {
				return d.tooDeep(i)
			}
			level++
			bit := uint64(1) << (level - 1)
			closer := byte(']')
			if c == '{' {
				objs |= bit
				closer = '}'
			} else {
				objs &^= bit
			}
			i = skipWS(buf, i+1)
			if i >= len(buf) || buf[i] != closer {
				if c == '{' {
					if i = d.objectKey(i); i < 0 {
						return -1
					}
				}
				continue // parse the first element or member value
			}
			i++
			level--
		} else if i = d.scalar(i); i < 0 {
			return -1
		}
		// A value ended: consume separators and closing brackets.
		for level > 0 {
			i = skipWS(buf, i)
			if i >= len(buf) {
				return d.eof(i)
			}
			obj := objs&(1<<(level-1)) != 0
			c := buf[i]
			if c == ',' {
				i++
				if obj {
					if i = d.objectKey(skipWS(buf, i)); i < 0 {
						return -1
					}
				}
				break
			}
			if obj && c == '}' || !obj && c == ']' {
				i++
				level--
				continue
			}
			if obj {
				return d.unexpected(i, "after object key:value pair")
			}
			return d.unexpected(i, "after array element")
		}
		if level == 0 {
			return i
		}
	}
}

// kindOf names the JSON type of the value starting with c, in the words
// encoding/json uses in an UnmarshalTypeError.
func kindOf(c byte) string {
	switch c {
	case '"':
		return "string"
	case '{':
		return "object"
	case '[':
		return "array"
	case 't', 'f':
		return "bool"
	case 'n':
		return "null"
	}
	return "number"
}

// parseInt converts the valid JSON number b to an int as encoding/json
// does (strconv.ParseInt plus an overflow check): it fails for fractions,
// exponents and out-of-range values; "-0" is 0.
func parseInt(b []byte) (int, bool) {
	neg := b[0] == '-'
	if neg {
		b = b[1:]
	}
	limit := uint64(1)<<(strconv.IntSize-1) - 1
	if neg {
		limit++
	}
	var u uint64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		if u > (limit-uint64(c-'0'))/10 {
			return 0, false
		}
		u = u*10 + uint64(c-'0')
	}
	if neg {
		return int(-u), true
	}
	return int(u), true
}
