package awsjson

import (
	"bytes"
	"encoding/base64"
)

// StringPtr reads a string member: nil for null, else a pointer to a copy
// of the unescaped string. Any other JSON type is a type error.
func (d *Decoder) StringPtr() *string {
	i, c, ok := d.value()
	if !ok {
		return nil
	}
	switch c {
	case '"':
		b, end := d.content(i)
		if end < 0 {
			return nil
		}
		d.pos = end
		if len(b) > maxSlabString {
			p := new(string)
			*p = string(b)
			return p
		}
		d.room(len(b), true, false)
		s := d.str(b)
		p := &d.slab.strs[d.nstr]
		d.nstr++
		*p = s
		return p
	case 'n':
		d.settle(d.literal(i, "null"))
		return nil
	}
	d.mismatch(i, "string")
	return nil
}

// IntPtr reads an integer member: nil for null, else a pointer to its
// value. A string, bool, array or object, a fraction or exponent (even
// 1.0 or 1e2) and a value outside int's range are type errors.
func (d *Decoder) IntPtr() *int {
	i, c, ok := d.value()
	if !ok {
		return nil
	}
	switch {
	case c == 'n':
		d.settle(d.literal(i, "null"))
		return nil
	case c == '-' || '0' <= c && c <= '9':
		end := d.scanNumber(i)
		if end < 0 {
			return nil
		}
		n, ok := parseInt(d.buf[i:end])
		if !ok {
			d.settle(d.typeErr(i, "number "+numText(d.buf[i:end]), "int"))
			return nil
		}
		d.pos = end
		d.room(0, false, true)
		p := &d.slab.ints[d.nint]
		d.nint++
		*p = n
		return p
	}
	d.mismatch(i, "int")
	return nil
}

// Bool reads a boolean member; null gives false. Any other JSON type is a
// type error.
func (d *Decoder) Bool() bool {
	i, c, ok := d.value()
	if !ok {
		return false
	}
	switch c {
	case 't':
		d.settle(d.literal(i, "true"))
		return d.err == nil
	case 'f':
		d.settle(d.literal(i, "false"))
		return false
	case 'n':
		d.settle(d.literal(i, "null"))
		return false
	}
	d.mismatch(i, "bool")
	return false
}

// Skip skips the current member's value, whatever its type, after checking
// that it is valid JSON no deeper than MaxDepth.
func (d *Decoder) Skip() {
	if i, _, ok := d.value(); ok {
		d.settle(d.skipValue(i))
	}
}

// Object enters a member whose value is an object, so that Next iterates
// over its members until its closing brace (where Next returns false once,
// and the enclosing loop can go on). It returns false, entering nothing,
// for null (leave the Go value nil), on error, and for any other JSON type,
// which is a type error:
//
//	case "Recipient":
//		in.Recipient = nil
//		if d.Object() {
//			in.Recipient = new(RecipientInfo)
//			for d.Next() { ... }
//		}
//
// Type errors inside name the member path, as "Recipient.KeyEncryptionAlgorithm".
func (d *Decoder) Object() bool {
	i, c, ok := d.value()
	if !ok {
		return false
	}
	switch c {
	case '{':
		if d.depth >= MaxDepth {
			d.tooDeep(i)
			return false
		}
		d.path = append(d.path, string(d.key))
		d.depth++
		d.pos, d.first, d.state = i+1, true, stAfter
		return true
	case 'n':
		d.settle(d.literal(i, "null"))
		return false
	}
	d.mismatch(i, "object")
	return false
}

// Blob reads a base64 member: nil for null, else a new slice, non-nil
// even when empty. The value must be a string of standard, padded base64
// (RFC 4648 section 4) whose unused trailing bits are zero and which holds
// no line breaks: AWS's JSON protocol takes blobs as base64 strings and
// nothing else, so the laxer forms encoding/json accepts (an array of
// integers 0-255, CR and LF anywhere, non-zero padding bits) are refused.
// Another JSON type is a type error; a string that is not such base64 is
// an error whose cause is ErrBase64. Both name the member in Field.
func (d *Decoder) Blob() []byte {
	i, c, ok := d.value()
	if !ok {
		return nil
	}
	switch c {
	case '"':
		if b, end := d.fastBlob(i); end > 0 {
			d.pos = end
			return b
		}
		s, end := d.content(i)
		if end < 0 {
			return nil
		}
		b := make([]byte, base64.StdEncoding.DecodedLen(len(s)))
		n, err := strictBase64(b, s)
		clear(d.scratch) // s may be there: blobs are often secret
		if err != nil {
			clear(b)
			if d.sem == nil {
				d.sem = &Error{Field: d.field(), Msg: err.Error(), cause: ErrBase64}
			}
		}
		d.settle(end)
		return b[:n]
	case 'n':
		d.settle(d.literal(i, "null"))
		return nil
	}
	d.mismatch(i, "[]byte")
	return nil
}

// strictBase64 decodes s as base64.StdEncoding.Strict does, but also
// refuses the CR and LF that encoding/base64 skips.
func strictBase64(dst, s []byte) (int, error) {
	if i := bytes.IndexAny(s, "\r\n"); i >= 0 {
		return 0, base64.CorruptInputError(i)
	}
	return base64.StdEncoding.Strict().Decode(dst, s)
}

// fastBlob decodes the common case, a base64 string with no escapes, line
// breaks or errors, straight into a slice of the exact length. It returns
// end -1 when the slow, exact path must decide; the closing quote it finds
// with bytes.IndexByte is the real one whenever the fast path succeeds,
// since the alphabet has no backslash.
func (d *Decoder) fastBlob(i int) ([]byte, int) {
	src := d.buf[i+1:]
	q := bytes.IndexByte(src, '"')
	if q < 0 || q%4 != 0 {
		return nil, -1
	}
	s := src[:q]
	full, n := q, q/4*3
	if q > 0 && s[q-1] == '=' {
		full -= 4
		n -= 1
		if s[q-2] == '=' {
			n -= 1
		}
	}
	b := make([]byte, n)
	nr, nw := decodeQuanta(b, s[:full])
	if nr != full || full < q && !decodeTail(b[nw:], s[full:]) {
		return nil, -1
	}
	return b, i + 1 + q + 1
}

// enter opens the array or object at i, checking the depth, and returns
// the index of its first element or member (or of its closing bracket)
// and whether it is empty.
func (d *Decoder) enter(i int, closer byte) (int, bool) {
	if d.depth >= MaxDepth {
		return d.tooDeep(i), false
	}
	d.depth++
	i = skipWS(d.buf, i+1)
	if i < len(d.buf) && d.buf[i] == closer {
		d.depth--
		return i + 1, true
	}
	return i, false
}

// more reads the separator after a container element ending at i: it
// returns the next element's index and true after a comma, or the index
// past closer and false (leaving the container).
func (d *Decoder) more(i int, closer byte) (int, bool) {
	i = skipWS(d.buf, i)
	switch {
	case i >= len(d.buf):
		return d.eof(i), false
	case d.buf[i] == ',':
		return skipWS(d.buf, i+1), true
	case d.buf[i] == closer:
		d.depth--
		return i + 1, false
	case closer == '}':
		return d.unexpected(i, "after object key:value pair"), false
	}
	return d.unexpected(i, "after array element"), false
}

// stringValue reads the string at i for a map value or list element. Any
// other type, null included, is a type error: AWS's maps and lists of
// strings are dense (no null members), so null is not a string there.
func (d *Decoder) stringValue(i int) (string, int) {
	if c := d.buf[i]; c != '"' {
		return "", d.typeErr(i, kindOf(c), "string")
	}
	b, end := d.content(i)
	if end < 0 {
		return "", -1
	}
	return d.str(b), end
}

// StringList reads an array of strings: nil for null, else a new slice,
// non-nil even when empty. Any other element type (null included), or a
// value that is not an array, is a type error.
func (d *Decoder) StringList() []string {
	i, c, ok := d.value()
	if !ok {
		return nil
	}
	switch c {
	case 'n':
		d.settle(d.literal(i, "null"))
		return nil
	case '[':
	default:
		d.mismatch(i, "[]string")
		return nil
	}
	i, empty := d.enter(i, ']')
	if empty || i < 0 {
		d.settle(i)
		return []string{}
	}
	list := d.list[:0]
	defer func() { clear(list); d.list = list[:0] }()
	for more := true; more; {
		if i >= len(d.buf) {
			d.eof(i)
			return nil
		}
		var s string
		if s, i = d.stringValue(i); i < 0 {
			return nil
		}
		list = append(list, s)
		if i, more = d.more(i, ']'); i < 0 {
			return nil
		}
	}
	out := make([]string, len(list))
	copy(out, list)
	d.settle(i)
	return out
}

// StringMap reads an object of strings: nil for null, else a new map,
// non-nil even when empty. Keys are unescaped like values; a repeated key
// keeps its last value. Any other value type (null included), or a value
// that is not an object, is a type error.
func (d *Decoder) StringMap() map[string]string {
	i, c, ok := d.value()
	if !ok {
		return nil
	}
	switch c {
	case 'n':
		d.settle(d.literal(i, "null"))
		return nil
	case '{':
	default:
		d.mismatch(i, "map[string]string")
		return nil
	}
	m := make(map[string]string)
	i, empty := d.enter(i, '}')
	if empty || i < 0 {
		d.settle(i)
		return m
	}
	for more := true; more; {
		if i >= len(d.buf) || d.buf[i] != '"' {
			d.unexpected(i, "looking for beginning of object key string")
			return nil
		}
		b, end := d.content(i)
		if end < 0 {
			return nil
		}
		k := d.str(b)
		if i = skipWS(d.buf, end); i >= len(d.buf) || d.buf[i] != ':' {
			d.unexpected(i, "after object key")
			return nil
		}
		if i = skipWS(d.buf, i+1); i >= len(d.buf) {
			d.eof(i)
			return nil
		}
		var v string
		if v, i = d.stringValue(i); i < 0 {
			return nil
		}
		m[k] = v
		if i, more = d.more(i, '}'); i < 0 {
			return nil
		}
	}
	d.settle(i)
	return m
}
