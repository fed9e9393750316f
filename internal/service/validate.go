package service

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// validation collects constraint violations the way AWS reports them:
// "2 validation errors detected: Value 'x' at 'keyId' failed to satisfy
// constraint: Member must ...; Value ...". Field paths are lowerCamelCase.
type validation struct {
	msgs []string
}

func (v *validation) add(value, field, constraint string) {
	v.msgs = append(v.msgs, fmt.Sprintf("Value %s at '%s' failed to satisfy constraint: %s", value, field, constraint))
}

func quote(s string) string { return "'" + s + "'" }

// required records a missing member.
func (v *validation) required(present bool, field string) bool {
	if !present {
		v.add("null", field, "Member must not be null")
	}
	return present
}

// str checks a string's length in characters.
func (v *validation) str(s *string, field string, min, max int) {
	if s == nil {
		return
	}
	n := utf8.RuneCountInString(*s)
	if n < min {
		v.add(quote(*s), field, fmt.Sprintf("Member must have length greater than or equal to %d", min))
	}
	if n > max {
		v.add(quote(*s), field, fmt.Sprintf("Member must have length less than or equal to %d", max))
	}
}

// blob checks a byte string's length without echoing its value.
func (v *validation) blob(b []byte, present bool, field string, min, max int) {
	if !present {
		return
	}
	if len(b) < min {
		v.msgs = append(v.msgs, fmt.Sprintf("Value at '%s' failed to satisfy constraint: Member must have length greater than or equal to %d", field, min))
	}
	if len(b) > max {
		v.msgs = append(v.msgs, fmt.Sprintf("Value at '%s' failed to satisfy constraint: Member must have length less than or equal to %d", field, max))
	}
}

// intRange checks an integer's range.
func (v *validation) intRange(n *int, field string, min, max int) {
	if n == nil {
		return
	}
	if *n < min {
		v.add(quote(strconv.Itoa(*n)), field, fmt.Sprintf("Member must have value greater than or equal to %d", min))
	}
	if *n > max {
		v.add(quote(strconv.Itoa(*n)), field, fmt.Sprintf("Member must have value less than or equal to %d", max))
	}
}

// enum checks membership of an enum.
func (v *validation) enum(s *string, field string, set []string) {
	if s == nil {
		return
	}
	for _, e := range set {
		if *s == e {
			return
		}
	}
	v.add(quote(*s), field, "Member must satisfy enum value set: ["+strings.Join(set, ", ")+"]")
}

// pattern checks that every character of s satisfies ok.
func (v *validation) pattern(s *string, field, re string, ok func(r rune) bool) {
	if s == nil {
		return
	}
	for _, r := range *s {
		if !ok(r) {
			v.add(quote(*s), field, "Member must satisfy regular expression pattern: "+re)
			return
		}
	}
}

func (v *validation) err() error {
	switch len(v.msgs) {
	case 0:
		return nil
	case 1:
		return &Error{Kind: KindValidation, Message: "1 validation error detected: " + v.msgs[0]}
	default:
		return &Error{Kind: KindValidation, Message: fmt.Sprintf("%d validation errors detected: %s", len(v.msgs), strings.Join(v.msgs, "; "))}
	}
}

func keyIDField(v *validation, s *string, field string) {
	if v.required(s != nil, field) {
		v.str(s, field, 1, 2048)
	}
}

func limitField(v *validation, n *int, max int) {
	v.intRange(n, "limit", 1, max)
}

func markerField(v *validation, s *string) {
	v.str(s, "marker", 1, 1024)
	v.pattern(s, "marker", `[\u0020-\u00FF]*`, func(r rune) bool { return r >= 0x20 && r <= 0xFF })
}

func aliasNameOK(r rune) bool {
	return 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || r == ':' || r == '/' || r == '_' || r == '-'
}

func tagFields(v *validation, tags []Tag) {
	for i, t := range tags {
		base := fmt.Sprintf("tags.%d.member.", i+1)
		if v.required(t.TagKey != nil, base+"tagKey") {
			v.str(t.TagKey, base+"tagKey", 1, 128)
		}
		if v.required(t.TagValue != nil, base+"tagValue") {
			v.str(t.TagValue, base+"tagValue", 0, 256)
		}
	}
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
