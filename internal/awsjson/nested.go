package awsjson

import (
	"strconv"
	"time"
)

// This file holds what generated decoders and encoders need beyond flat
// objects: arrays of objects, timestamps and nulls.

// ObjectList reads an array of objects, calling elem once per element, in
// order, with a Decoder positioned on that element: elem reads it with
// Next like a body. It reports whether the value was an array; null gives
// false and calls nothing. A value that is not an array, or an element
// that is not an object, null included (AWS's JSON protocol refuses a
// null element, which encoding/json leaves a zero element), is a type
// error with Field set to the member's path; type errors inside an
// element name the path through it ("Tags.TagKey"), as encoding/json
// does. elem must not keep the Decoder it is given.
//
//	case "Tags":
//		in.Tags = nil
//		if d.ObjectList(func(e *awsjson.Decoder) {
//			in.Tags = append(in.Tags, Tag{})
//			in.Tags[len(in.Tags)-1].DecodeJSON(e)
//		}) && in.Tags == nil {
//			in.Tags = []Tag{}
//		}
func (d *Decoder) ObjectList(elem func(e *Decoder)) bool {
	i, c, ok := d.value()
	if !ok {
		return false
	}
	switch c {
	case 'n':
		d.settle(d.literal(i, "null"))
		return false
	case '[':
	default:
		d.mismatch(i, "array")
		return false
	}
	// Validate the whole array first (syntax and depth), so that each
	// element can be read on its own and a syntax error anywhere is
	// reported as encoding/json reports it.
	end := d.skipValue(i)
	if end < 0 {
		return false
	}
	var sub Decoder
	prefix := append(d.path[:len(d.path):len(d.path)], string(d.key))
	j, empty := skipWS(d.buf, i+1), d.buf[skipWS(d.buf, i+1)] == ']'
	for !empty {
		k := d.skipValue(j) // valid: the array was checked
		switch d.buf[j] {
		case '{':
			sub.Reset(d.buf[j:k])
			sub.path = append(sub.path[:0], prefix...)
			elem(&sub)
			if err := sub.Err(); err != nil {
				if d.sem == nil {
					d.sem = err.(*Error)
				}
				d.settle(end)
				return true
			}
		default:
			d.typeErr(j, kindOf(d.buf[j]), "object")
			d.settle(end)
			return true
		}
		j = skipWS(d.buf, k)
		if d.buf[j] == ']' {
			break
		}
		j = skipWS(d.buf, j+1) // the comma
	}
	d.settle(end)
	return true
}

// Timestamp reads a timestamp member written as AWS JSON writes them:
// epoch seconds, a JSON number that may have a fraction. It returns the
// time in UTC and true, or false for null, on error, and for any other
// JSON type or a number out of range, which is a type error. The
// conversion is the one Epoch types in this repository use: whole
// seconds, then the fraction in nanoseconds, truncated.
func (d *Decoder) Timestamp() (time.Time, bool) {
	i, c, ok := d.value()
	if !ok {
		return time.Time{}, false
	}
	switch {
	case c == 'n':
		d.settle(d.literal(i, "null"))
		return time.Time{}, false
	case c == '-' || '0' <= c && c <= '9':
		end := d.scanNumber(i)
		if end < 0 {
			return time.Time{}, false
		}
		f, err := strconv.ParseFloat(string(d.buf[i:end]), 64)
		if err != nil {
			d.settle(d.typeErr(i, "number "+numText(d.buf[i:end]), "timestamp"))
			return time.Time{}, false
		}
		d.pos = end
		sec := int64(f)
		return time.Unix(sec, int64((f-float64(sec))*1e9)).UTC(), true
	}
	d.mismatch(i, "timestamp")
	return time.Time{}, false
}

// Null writes a member whose value is null.
func (e *Encoder) Null(name string) {
	e.key(name)
	e.buf = append(e.buf, "null"...)
}

// Timestamp writes a timestamp member as AWS JSON does: epoch seconds
// with millisecond precision, the shortest decimal that reads back as
// the same float64 (strconv's 'f' format), as json.Marshal writes such a
// float64.
func (e *Encoder) Timestamp(name string, t time.Time) {
	e.key(name)
	e.buf = strconv.AppendFloat(e.buf, float64(t.UnixMilli())/1000, 'f', -1, 64)
}

// List opens a member whose value is an array of objects: write each
// element with ElemObject, its members and End, then close the array with
// EndList.
func (e *Encoder) List(name string) {
	e.key(name)
	e.buf = append(e.buf, '[')
	e.first = true
}

// ElemObject opens the next element of the innermost array as an object;
// close it with End.
func (e *Encoder) ElemObject() {
	if !e.first {
		e.buf = append(e.buf, ',')
	}
	e.buf = append(e.buf, '{')
	e.first = true
}

// EndList closes the innermost open array.
func (e *Encoder) EndList() {
	e.buf = append(e.buf, ']')
	e.first = false
}

// Raw writes a member whose value is v, a JSON value the caller encoded
// (it is not checked).
func (e *Encoder) Raw(name string, v []byte) {
	e.key(name)
	e.buf = append(e.buf, v...)
}
