package iam

import (
	"strconv"
	"unicode"
	"unicode/utf8"
)

// Limits from the IAM and STS API references.
const (
	maxUserNameLen      = 64
	maxRoleNameLen      = 64
	maxPathLen          = 512
	maxPolicyNameLen    = 128
	maxPolicyDocLen     = 131072 // the API's parameter limit; the aggregate limits below bind first
	maxUserPolicyBytes  = 2048   // aggregate inline policy size per user
	maxRolePolicyBytes  = 10240  // aggregate inline policy size per role
	maxTagKeyLen        = 128
	maxTagValueLen      = 256
	maxTags             = 50
	maxAccessKeysPerUsr = 2
	minSessionDuration  = 900
	maxSessionDuration  = 43200
	defaultSessionDur   = 3600
	maxChainedDuration  = 3600
	maxDescriptionLen   = 1000
	maxItemsLimit       = 1000
	defaultMaxItems     = 100
)

// validation accumulates "Value ... failed to satisfy constraint" messages
// in AWS's form: "1 validation error detected: ..." / "2 validation errors
// detected: ...; ...".
type validation struct{ msgs []string }

func (v *validation) add(value, member, constraint string) {
	v.msgs = append(v.msgs, "Value '"+value+"' at '"+member+"' failed to satisfy constraint: "+constraint)
}

func (v *validation) err() error {
	if len(v.msgs) == 0 {
		return nil
	}
	n := len(v.msgs)
	head := strconv.Itoa(n) + " validation error detected: "
	if n > 1 {
		head = strconv.Itoa(n) + " validation errors detected: "
	}
	msg := head
	for i, m := range v.msgs {
		if i > 0 {
			msg += "; "
		}
		msg += m
	}
	return errorf(KindValidation, msg)
}

func isNameChar(r rune) bool {
	return r < utf8.RuneSelf && (r == '_' || r == '+' || r == '=' || r == ',' || r == '.' || r == '@' || r == '-' ||
		('a' <= r && r <= 'z') || ('A' <= r && r <= 'Z') || ('0' <= r && r <= '9'))
}

// name checks a user, role, policy or session name: pattern [\w+=,.@-]+
// and length min..max.
func (v *validation) name(value, member string, min, max int) {
	if len(value) < min {
		v.add(value, member, "Member must have length greater than or equal to "+strconv.Itoa(min))
		return
	}
	if len(value) > max {
		v.add(value, member, "Member must have length less than or equal to "+strconv.Itoa(max))
		return
	}
	for _, r := range value {
		if !isNameChar(r) {
			v.add(value, member, `Member must satisfy regular expression pattern: [\w+=,.@-]+`)
			return
		}
	}
}

// path checks an IAM path: "/" or /[\x21-\x7E]+/, at most 512 characters.
// An empty path means "/" and is not checked.
func (v *validation) path(value, member string) {
	if value == "" {
		return
	}
	if len(value) > maxPathLen {
		v.add(value, member, "Member must have length less than or equal to 512")
		return
	}
	ok := value == "/" || (len(value) >= 3 && value[0] == '/' && value[len(value)-1] == '/')
	for i := 0; ok && i < len(value); i++ {
		ok = value[i] >= 0x21 && value[i] <= 0x7e
	}
	if !ok {
		v.add(value, member, `Member must satisfy regular expression pattern: (\u002F)|(\u002F[\u0021-\u007F]+\u002F)`)
	}
}

// document checks a policy document parameter: 1..131072 characters of
// tab, newline, carriage return and U+0020..U+00FF.
func (v *validation) document(value, member string) {
	n := utf8.RuneCountInString(value)
	if n < 1 {
		v.add(value, member, "Member must have length greater than or equal to 1")
		return
	}
	if n > maxPolicyDocLen {
		v.add(value, member, "Member must have length less than or equal to 131072")
		return
	}
	for _, r := range value {
		if !(r == '\t' || r == '\n' || r == '\r' || (r >= 0x20 && r <= 0xff)) {
			v.add(value, member, `Member must satisfy regular expression pattern: [\u0009\u000A\u000D\u0020-\u00FF]+`)
			return
		}
	}
}

func isTagChar(r rune) bool {
	return unicode.IsLetter(r) || unicode.Is(unicode.Z, r) || unicode.IsNumber(r) ||
		r == '_' || r == '.' || r == ':' || r == '/' || r == '=' || r == '+' || r == '-' || r == '@'
}

// Tag is an IAM tag.
type Tag struct{ Key, Value string }

// tags checks tag keys and values (AWS: key 1..128, value 0..256, both
// [\p{L}\p{Z}\p{N}_.:/=+\-@]*) and the count; duplicate keys are
// InvalidInput.
func checkTags(tags []Tag) error {
	var v validation
	seen := map[string]bool{}
	for i, t := range tags {
		member := "tags." + strconv.Itoa(i+1) + ".member.key"
		switch kn := utf8.RuneCountInString(t.Key); {
		case kn < 1:
			v.add(t.Key, member, "Member must have length greater than or equal to 1")
		case kn > maxTagKeyLen:
			v.add(t.Key, member, "Member must have length less than or equal to 128")
		case !allRunes(t.Key, isTagChar):
			v.add(t.Key, member, `Member must satisfy regular expression pattern: [\p{L}\p{Z}\p{N}_.:/=+\-@]+`)
		}
		vm := "tags." + strconv.Itoa(i+1) + ".member.value"
		switch {
		case utf8.RuneCountInString(t.Value) > maxTagValueLen:
			v.add(t.Value, vm, "Member must have length less than or equal to 256")
		case !allRunes(t.Value, isTagChar):
			v.add(t.Value, vm, `Member must satisfy regular expression pattern: [\p{L}\p{Z}\p{N}_.:/=+\-@]*`)
		}
		seen[t.Key] = true
	}
	if len(tags) > maxTags {
		v.add("[...]", "tags", "Member must have length less than or equal to 50")
	}
	if err := v.err(); err != nil {
		return err
	}
	if len(seen) != len(tags) {
		return errorf(KindInvalidInput, "Duplicate tag keys found. Please note that Tag keys are case insensitive.")
	}
	return nil
}

func allRunes(s string, ok func(rune) bool) bool {
	for _, r := range s {
		if !ok(r) || r == utf8.RuneError {
			return false
		}
	}
	return true
}
