package kmsapi

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// ValidationError is a request that breaks the model's constraints. Its
// message is AWS's: "1 validation error detected: Value 'x' at 'keyId'
// failed to satisfy constraint: Member must have length less than or
// equal to 2048", or "2 validation errors detected: ...; ...". The edge
// answers it as ValidationException.
type ValidationError struct {
	// Problems lists one sentence per violation, in the order of the
	// model's members.
	Problems []string
}

func (e *ValidationError) Error() string {
	if len(e.Problems) == 1 {
		return "1 validation error detected: " + e.Problems[0]
	}
	return strconv.Itoa(len(e.Problems)) + " validation errors detected: " + strings.Join(e.Problems, "; ")
}

// path is where a member is, for messages: members of nested structures
// are "constraints.sourceArn", elements of lists "tags.1.member.tagKey".
// It is built on the stack and rendered only when a check fails.
type path struct {
	parent *path
	name   string // lowerCamel member name
	index  int    // list elements: 1-based index, else 0
}

func (p *path) render(b *strings.Builder) {
	if p == nil {
		return
	}
	if p.parent != nil {
		p.parent.render(b)
		b.WriteByte('.')
	}
	b.WriteString(p.name)
	if p.index > 0 {
		b.WriteByte('.')
		b.WriteString(strconv.Itoa(p.index))
		b.WriteString(".member")
	}
}

// validator collects violations. The zero value has none and checks do
// not allocate unless they fail.
type validator struct {
	problems []string
}

func (c *validator) err() error {
	if len(c.problems) == 0 {
		return nil
	}
	return &ValidationError{Problems: c.problems}
}

// Value forms: a quoted value, null, or none (sensitive members, blobs,
// sizes of lists and maps, and what wire.json redacts: AWS leaves such
// values out, as in "Value at 'plaintext'").
const (
	showValue = iota
	showNull
	hideValue
)

func (c *validator) add(at *path, name string, form int, value, constraint string) {
	var b strings.Builder
	b.WriteString("Value ")
	switch form {
	case showValue:
		b.WriteString("'" + value + "' ")
	case showNull:
		b.WriteString("null ")
	}
	b.WriteString("at '")
	at.render(&b)
	if at != nil {
		b.WriteByte('.')
	}
	b.WriteString(name)
	b.WriteString("' failed to satisfy constraint: ")
	b.WriteString(constraint)
	c.problems = append(c.problems, b.String())
}

func form(show bool) int {
	if show {
		return showValue
	}
	return hideValue
}

// null reports a required member that is absent.
func (c *validator) null(at *path, name string) {
	c.add(at, name, showNull, "", "Member must not be null")
}

// length checks a string's length in characters; min or max -1 is none.
func (c *validator) length(at *path, name, s string, min, max int, show bool) {
	// A string of n bytes has between n/4 (rounded up) and n characters.
	if n := len(s); (max < 0 || n <= max) && (n+3)/4 >= min {
		return
	}
	n := utf8.RuneCountInString(s)
	if n < min {
		c.add(at, name, form(show), s, "Member must have length greater than or equal to "+strconv.Itoa(min))
	}
	if max >= 0 && n > max {
		c.add(at, name, form(show), s, "Member must have length less than or equal to "+strconv.Itoa(max))
	}
}

// size checks the length of a blob, list or map, whose value is not
// shown; min or max -1 is none.
func (c *validator) size(at *path, name string, n, min, max int) {
	if n < min {
		c.add(at, name, hideValue, "", "Member must have length greater than or equal to "+strconv.Itoa(min))
	}
	if max >= 0 && n > max {
		c.add(at, name, hideValue, "", "Member must have length less than or equal to "+strconv.Itoa(max))
	}
}

// valueRange checks an integer's range; min or max -1 is none.
func (c *validator) valueRange(at *path, name string, n int64, min, max int64) {
	if min >= 0 && n < min {
		c.add(at, name, showValue, strconv.FormatInt(n, 10), "Member must have value greater than or equal to "+strconv.FormatInt(min, 10))
	}
	if max >= 0 && n > max {
		c.add(at, name, showValue, strconv.FormatInt(n, 10), "Member must have value less than or equal to "+strconv.FormatInt(max, 10))
	}
}

// enum reports a value outside its enum; set is "[A, B]".
func (c *validator) enum(at *path, name, s, set string, show bool) {
	c.add(at, name, form(show), s, "Member must satisfy enum value set: "+set)
}

// pattern reports a value that does not match the model's pattern.
func (c *validator) pattern(at *path, name, s, pattern string, show bool) {
	c.add(at, name, form(show), s, "Member must satisfy regular expression pattern: "+pattern)
}

// elements reports a list some of whose elements break their shape's
// constraints: bad has bit i set for msgs[i]. AWS words it "Member must
// satisfy constraint: [...]" and shows the list as "[a, b]", unless its
// elements are sensitive or redacted (wire.json: grant tokens).
func (c *validator) elements(at *path, name string, list []string, bad uint8, msgs *[4]string, show bool) {
	var failed []string
	for i, m := range msgs {
		if bad&(1<<i) != 0 {
			failed = append(failed, m)
		}
	}
	c.add(at, name, form(show), "["+strings.Join(list, ", ")+"]",
		"Member must satisfy constraint: ["+strings.Join(failed, ", ")+"]")
}
