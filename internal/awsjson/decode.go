// Package awsjson decodes and encodes AWS JSON 1.1 request and response
// bodies without reflection: flat objects whose members are strings, base64
// blobs, booleans, integers, string-to-string maps, string lists and
// (through Decoder.Object and Encoder.Object) nested objects of the same.
//
// # Compatibility with encoding/json
//
// A Decoder accepts exactly the bodies json.Unmarshal accepts into the
// equivalent Go struct, produces the same values, and fails where it fails,
// with these documented exceptions:
//
//   - Member names match case-sensitively, as AWS matches them;
//     encoding/json also matches names that differ only in case.
//   - Duplicate members: the caller assigns each occurrence, so the last
//     one wins outright. encoding/json merges a duplicate object into an
//     earlier map or struct, reuses an earlier slice's elements where the
//     later array holds null, and ignores a later null for a bool.
//   - Nesting deeper than MaxDepth fails with ErrTooDeep
//     (encoding/json allows 10000 levels).
//   - AWS's JSON protocol is stricter than encoding/json about blobs, maps
//     and lists, and so is a Decoder: a blob is a string of standard,
//     padded base64 with zero padding bits and no CR or LF (encoding/json
//     also takes an array of integers 0-255, skips CR and LF and ignores
//     the padding bits: Decoder.Blob), and a map value or list element is
//     a string, never null (encoding/json stores "" for null), as is an
//     element of a list of objects (Decoder.ObjectList; encoding/json
//     leaves a zero element). Each of these is an *Error with Field set,
//     the first in document order among the type errors, as for any value
//     of the wrong type.
//
// Everything else follows RFC 8259 and encoding/json: the body must be one
// JSON value with only whitespace around it; a top-level null decodes as an
// empty object (no members) and any other non-object is an error; invalid
// UTF-8 in strings becomes U+FFFD byte by byte; \u escapes of unpaired
// surrogates become U+FFFD; a value of the wrong JSON type, or a number
// that does not fit, is an error with Error.Field set; a member whose value
// is null keeps its zero value. An empty body is a syntax error, as in
// encoding/json; callers that treat it as {} must check first. Syntax
// errors take precedence over type and base64 errors, and the first of
// those in document order is the one reported.
//
// An Encoder writes the bytes json.Marshal writes for the equivalent struct
// with the members in call order.
package awsjson

import (
	"strings"
	"unicode/utf8"
	"unsafe"
)

// Decoder states.
const (
	stStart  = iota // before the body's opening brace
	stAfter         // between members: Next reads a comma or closing brace
	stMember        // Next returned true; the member's value is unread
	stDone          // the body ended and its trailing bytes were checked
)

// Decoder reads the members of one JSON object. The zero Decoder decodes
// an empty body; use NewDecoder or Reset. A Decoder is not safe for
// concurrent use; pool Decoders with Reset to reuse their buffers.
//
// The typical loop is
//
//	for d.Next() {
//		switch d.Key() {
//		case "KeyId":
//			in.KeyId = d.StringPtr()
//		case "Plaintext":
//			in.Plaintext = d.Blob()
//		}
//	}
//	if err := d.Err(); err != nil { ... }
//
// A member whose value the caller does not read (the default case above)
// is skipped and validated by the following call to Next. Calling a value
// method when no member is pending (before Next, after it returned false,
// or twice for one member) is a programming error and panics, except that
// after an error every value method returns a zero value.
//
// Strings returned by a Decoder are immutable and never alias the body.
// To save allocations, short strings and the string and int variables
// behind returned pointers share small slabs (704 bytes) that one Decoder
// fills across calls to Reset; keeping one of them alive keeps its slab
// alive, so clone strings (strings.Clone) that are kept for long. Blobs,
// maps and slices are allocated for each value and never shared, and a
// Decoder zeroes any scratch space that held a blob's bytes or base64 text,
// since blobs are often plaintext.
type Decoder struct {
	buf   []byte
	pos   int  // next byte to read
	depth int  // open containers, the body's object included
	state int  // stStart...
	first bool // the innermost object has had no member yet
	err   *Error
	sem   *Error   // first type or base64 error, reported if there is no syntax error
	key   []byte   // current member name, unescaped: a view of buf or keyBuf
	path  []string // names of the members entered with Object

	keyBuf  []byte   // unescaped member names
	scratch []byte   // unescaped strings, byte arrays
	list    []string // StringList accumulator

	slab        *slab
	nstr, nbyte int // slab entries used
	nint        int
}

// A slab holds short strings and the variables returned pointers point to.
// Its strings point only into its own data, so it pins nothing else.
type slab struct {
	strs [8]string
	ints [4]int
	data [512]byte
}

// maxSlabString is the longest string stored in a slab; longer ones get
// their own allocation.
const maxSlabString = 128

// maxRetainedScratch caps the scratch buffers Reset keeps, in bytes and
// (for the StringList accumulator) in elements.
const (
	maxRetainedScratch = 64 << 10
	maxRetainedList    = 1 << 10
)

// NewDecoder returns a Decoder for body. The Decoder reads body without
// modifying it; body must not change while the Decoder is in use.
func NewDecoder(body []byte) *Decoder {
	return &Decoder{buf: body}
}

// Reset makes d decode body, keeping d's buffers (oversized scratch space,
// left by a large body, is dropped) and its partly filled slab.
func (d *Decoder) Reset(body []byte) {
	scratch := d.scratch
	if cap(scratch) > maxRetainedScratch {
		scratch = nil
	}
	keyBuf := d.keyBuf
	if cap(keyBuf) > maxRetainedScratch {
		keyBuf = nil
	}
	list := d.list
	if cap(list) > maxRetainedList {
		list = nil
	}
	*d = Decoder{
		buf: body, path: d.path[:0], keyBuf: keyBuf[:0], scratch: scratch[:0], list: list[:0],
		slab: d.slab, nstr: d.nstr, nbyte: d.nbyte, nint: d.nint,
	}
}

// Next advances to the next member of the innermost open object, skipping
// the previous member's value if it was not read. It returns false at the
// end of that object or on error. At the end of the body's object it also
// checks that only whitespace follows.
func (d *Decoder) Next() bool {
	if d.err != nil || d.sem != nil {
		return false
	}
	switch d.state {
	case stStart:
		return d.begin()
	case stMember:
		if d.pos = d.skipValue(d.pos); d.pos < 0 {
			return false
		}
		d.state = stAfter
	case stDone:
		return false
	}
	return d.advance()
}

// begin reads the body's first token: an object's brace, a null (an empty
// body), or anything else, which is an error once it is known to be valid
// JSON.
func (d *Decoder) begin() bool {
	i := skipWS(d.buf, d.pos)
	if i >= len(d.buf) {
		d.eof(i)
		return false
	}
	switch c := d.buf[i]; c {
	case '{':
		d.depth, d.first, d.pos, d.state = 1, true, i+1, stAfter
		return d.advance()
	case 'n':
		d.finish(d.literal(i, "null"))
	default:
		if d.finish(d.skipValue(i)) {
			d.sem = &Error{Msg: "cannot decode JSON " + kindOf(c) + " into an object"}
		}
	}
	return false
}

// finish checks that only whitespace follows the body's value, which ended
// at i (or failed, i < 0).
func (d *Decoder) finish(i int) bool {
	if i < 0 {
		return false
	}
	if i = skipWS(d.buf, i); i < len(d.buf) {
		d.unexpected(i, "after top-level value")
		return false
	}
	d.pos, d.state = i, stDone
	return true
}

// advance reads a comma or the innermost object's closing brace, then the
// next member's name and colon.
func (d *Decoder) advance() bool {
	buf := d.buf
	i := skipWS(buf, d.pos)
	if i >= len(buf) {
		d.eof(i)
		return false
	}
	c := buf[i]
	if c == '}' {
		d.depth--
		d.first = false // the enclosing object has had this member
		if d.depth == 0 {
			d.finish(i + 1)
		} else {
			d.pos, d.state = i+1, stAfter
			d.path = d.path[:len(d.path)-1]
		}
		return false
	}
	if !d.first {
		if c != ',' {
			d.unexpected(i, "after object key:value pair")
			return false
		}
		i = skipWS(buf, i+1)
	}
	d.first = false
	if i >= len(buf) || buf[i] != '"' {
		d.unexpected(i, "looking for beginning of object key string")
		return false
	}
	end, flags := d.scanString(i)
	if end < 0 {
		return false
	}
	raw := buf[i+1 : end-1]
	if flags == 0 || flags == strHigh && utf8.Valid(raw) {
		d.key = raw
	} else {
		d.keyBuf = unquote(d.keyBuf[:0], raw)
		d.key = d.keyBuf
	}
	i = skipWS(buf, end)
	if i >= len(buf) || buf[i] != ':' {
		d.unexpected(i, "after object key")
		return false
	}
	d.pos, d.state = skipWS(buf, i+1), stMember
	return true
}

// Key returns the current member's name, unescaped. The result may share
// memory with the body or with d and is valid only until the next call to
// Next or Reset; it does not allocate.
func (d *Decoder) Key() string {
	return unsafe.String(unsafe.SliceData(d.key), len(d.key))
}

// KeyIs reports whether the current member's name is exactly name.
func (d *Decoder) KeyIs(name string) bool {
	return string(d.key) == name
}

// Err returns nil if the whole body was valid and every value read had the
// expected type, and otherwise a *Error. Call it after the loop: it first
// skips (and validates) whatever the caller left unread, to the end of the
// body, so that nil always means the whole body was checked.
func (d *Decoder) Err() error {
	d.drain()
	if d.err != nil {
		return d.err
	}
	if d.sem != nil {
		return d.sem
	}
	return nil
}

// drain validates the rest of the body, leaving any error in d.
func (d *Decoder) drain() {
	for d.err == nil && d.state != stDone {
		switch d.state {
		case stStart:
			d.begin()
		case stMember:
			if d.pos = d.skipValue(d.pos); d.pos >= 0 {
				d.state = stAfter
			}
		default:
			d.advance()
		}
	}
}

// value starts reading the pending member's value. It returns the value's
// offset and first byte, or ok false after an earlier error.
func (d *Decoder) value() (i int, c byte, ok bool) {
	if d.err != nil || d.sem != nil {
		return 0, 0, false
	}
	if d.state != stMember {
		panic("awsjson: Decoder value method called with no member pending")
	}
	d.state = stAfter
	if d.pos >= len(d.buf) {
		d.eof(d.pos)
		return 0, 0, false
	}
	return d.pos, d.buf[d.pos], true
}

// field returns the dotted member path for an error.
func (d *Decoder) field() string {
	if len(d.path) == 0 {
		return string(d.key)
	}
	return strings.Join(d.path, ".") + "." + string(d.key)
}

// typeErr records, if it is the first, a type error for the value at i,
// which the caller wanted as want, and returns the index just past the
// value (or -1), which it skips.
func (d *Decoder) typeErr(i int, what, want string) int {
	if d.sem == nil {
		d.sem = &Error{Field: d.field(), Msg: "cannot decode JSON " + what + " into " + want}
	}
	return d.skipValue(i)
}

// mismatch reports a value of the wrong type at i and validates the rest.
func (d *Decoder) mismatch(i int, want string) {
	d.settle(d.typeErr(i, kindOf(d.buf[i]), want))
}

// settle ends a value method whose value ended at i (-1 after an error).
// After a type error it validates the rest of the body, so that a later
// syntax error is reported instead, as encoding/json would.
func (d *Decoder) settle(i int) {
	if i < 0 {
		return
	}
	d.pos = i
	if d.sem != nil {
		d.drain()
	}
}

// content validates the string at i and returns its unescaped contents (a
// view of the body or of d.scratch) and the index just past it.
func (d *Decoder) content(i int) ([]byte, int) {
	end, flags := d.scanString(i)
	if end < 0 {
		return nil, -1
	}
	raw := d.buf[i+1 : end-1]
	if flags == 0 || flags == strHigh && utf8.Valid(raw) {
		return raw, end
	}
	d.scratch = unquote(d.scratch[:0], raw)
	return d.scratch, end
}

// room makes sure the current slab has n free bytes and one free string
// (if str) or int (if num) entry.
func (d *Decoder) room(n int, str, num bool) {
	if d.slab == nil || d.nbyte+n > len(d.slab.data) ||
		str && d.nstr == len(d.slab.strs) || num && d.nint == len(d.slab.ints) {
		d.slab = new(slab)
		d.nstr, d.nbyte, d.nint = 0, 0, 0
	}
}

// str returns b as a new immutable string, stored in the slab if short.
func (d *Decoder) str(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	if len(b) > maxSlabString {
		return string(b)
	}
	d.room(len(b), false, false)
	p := d.slab.data[d.nbyte : d.nbyte+len(b)]
	d.nbyte += copy(p, b)
	return unsafe.String(&p[0], len(p))
}
