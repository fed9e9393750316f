package awsjson

import (
	"slices"
	"strconv"
	"unicode/utf8"
)

// Encoder appends one JSON object to a buffer, member by member, writing
// the bytes json.Marshal writes for a struct with the same members in the
// same order (no omitempty: the caller leaves out members it does not
// want). The zero Encoder is ready to use; Reset makes it append to a
// reused buffer, after which encoding allocates only if that buffer is too
// small (or a map has more than 16 keys). An Encoder is not safe for
// concurrent use.
//
//	e.Reset(buf)
//	e.Begin()
//	e.Blob("CiphertextBlob", blob)
//	e.String("KeyId", arn)
//	e.End()
//	out := e.Bytes()
//
// Members must come between Begin (or Object) and the matching End; the
// Encoder does not check its caller's nesting.
type Encoder struct {
	buf   []byte
	first bool // the innermost object has no member yet
}

// Reset discards the output and makes e append to buf[:0], reusing its
// storage.
func (e *Encoder) Reset(buf []byte) {
	e.buf, e.first = buf[:0], false
}

// Bytes returns the output. It aliases e's buffer: it is valid until the
// next call that changes e.
func (e *Encoder) Bytes() []byte { return e.buf }

// Begin opens the body's object.
func (e *Encoder) Begin() {
	e.buf = append(e.buf, '{')
	e.first = true
}

// Object opens a member whose value is an object; close it with End.
func (e *Encoder) Object(name string) {
	e.key(name)
	e.buf = append(e.buf, '{')
	e.first = true
}

// End closes the innermost open object.
func (e *Encoder) End() {
	e.buf = append(e.buf, '}')
	e.first = false
}

func (e *Encoder) key(name string) {
	if !e.first {
		e.buf = append(e.buf, ',')
	}
	e.first = false
	e.buf = appendString(e.buf, name)
	e.buf = append(e.buf, ':')
}

// String writes a string member, escaped as encoding/json escapes it.
func (e *Encoder) String(name, v string) {
	e.key(name)
	e.buf = appendString(e.buf, v)
}

// Blob writes a base64 member (standard, padded); nil writes null, as
// encoding/json does for a nil []byte.
func (e *Encoder) Blob(name string, v []byte) {
	e.key(name)
	if v == nil {
		e.buf = append(e.buf, "null"...)
		return
	}
	e.buf = append(e.buf, '"')
	e.buf = appendBase64(e.buf, v)
	e.buf = append(e.buf, '"')
}

// Bool writes a boolean member.
func (e *Encoder) Bool(name string, v bool) {
	e.key(name)
	e.buf = strconv.AppendBool(e.buf, v)
}

// Int writes an integer member.
func (e *Encoder) Int(name string, v int) {
	e.key(name)
	e.buf = strconv.AppendInt(e.buf, int64(v), 10)
}

// StringMap writes a map member with its keys in sorted (byte) order, as
// encoding/json does; nil writes null.
func (e *Encoder) StringMap(name string, m map[string]string) {
	e.key(name)
	if m == nil {
		e.buf = append(e.buf, "null"...)
		return
	}
	var arr [16]string
	keys := arr[:0]
	for k := range m {
		keys = append(keys, k)
	}
	if len(keys) <= len(arr) {
		insertionSort(keys)
	} else {
		slices.Sort(keys)
	}
	e.buf = append(e.buf, '{')
	for i, k := range keys {
		if i > 0 {
			e.buf = append(e.buf, ',')
		}
		e.buf = appendString(e.buf, k)
		e.buf = append(e.buf, ':')
		e.buf = appendString(e.buf, m[k])
	}
	e.buf = append(e.buf, '}')
}

func insertionSort(s []string) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

// StringList writes an array of strings; nil writes null.
func (e *Encoder) StringList(name string, l []string) {
	e.key(name)
	if l == nil {
		e.buf = append(e.buf, "null"...)
		return
	}
	e.buf = append(e.buf, '[')
	for i, s := range l {
		if i > 0 {
			e.buf = append(e.buf, ',')
		}
		e.buf = appendString(e.buf, s)
	}
	e.buf = append(e.buf, ']')
}

const hexDigits = "0123456789abcdef"

// htmlSafe marks the ASCII bytes encoding/json copies verbatim when it
// escapes HTML, as json.Marshal does: everything from space up except
// '"', '\\', '<', '>' and '&'.
var htmlSafe = func() (t [utf8.RuneSelf]bool) {
	for c := ' '; c < utf8.RuneSelf; c++ {
		t[c] = true
	}
	t['"'], t['\\'], t['<'], t['>'], t['&'] = false, false, false, false, false
	return t
}()

// AppendString appends s as a JSON string, byte for byte as json.Marshal
// writes it (see appendString).
func AppendString(dst []byte, s string) []byte { return appendString(dst, s) }

// appendString appends s as a JSON string, byte for byte as json.Marshal
// writes it: short escapes for \b \f \n \r \t " and \\, \u00XX for other
// control characters and < > &, \ufffd for each byte of invalid UTF-8, and
// \u2028 and \u2029 escaped.
func appendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		if b := s[i]; b < utf8.RuneSelf {
			if htmlSafe[b] {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch b {
			case '\\', '"':
				dst = append(dst, '\\', b)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[b>>4], hexDigits[b&0xf])
			}
			i++
			start = i
			continue
		}
		c, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case c == utf8.RuneError && size == 1:
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
		case c == '\u2028' || c == '\u2029':
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[c&0xf])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}
