package policy

import (
	"encoding/base64"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// opFamily is the base comparison of a condition operator.
type opFamily uint8

const (
	famStringEquals opFamily = iota
	famStringEqualsIgnoreCase
	famStringLike
	famNumericEquals
	famNumericLessThan
	famNumericLessThanEquals
	famNumericGreaterThan
	famNumericGreaterThanEquals
	famDateEquals
	famDateLessThan
	famDateLessThanEquals
	famDateGreaterThan
	famDateGreaterThanEquals
	famBool
	famBinaryEquals
	famIPAddress
	famArnLike // ArnEquals and ArnLike behave identically
	famNull
)

type opInfo struct {
	fam     opFamily
	negated bool
}

// operators maps lower-cased base operator names (no prefix, no IfExists).
// Operator names are matched case-insensitively, as IAM does.
var operators = map[string]opInfo{
	"stringequals":              {famStringEquals, false},
	"stringnotequals":           {famStringEquals, true},
	"stringequalsignorecase":    {famStringEqualsIgnoreCase, false},
	"stringnotequalsignorecase": {famStringEqualsIgnoreCase, true},
	"stringlike":                {famStringLike, false},
	"stringnotlike":             {famStringLike, true},
	"numericequals":             {famNumericEquals, false},
	"numericnotequals":          {famNumericEquals, true},
	"numericlessthan":           {famNumericLessThan, false},
	"numericlessthanequals":     {famNumericLessThanEquals, false},
	"numericgreaterthan":        {famNumericGreaterThan, false},
	"numericgreaterthanequals":  {famNumericGreaterThanEquals, false},
	"dateequals":                {famDateEquals, false},
	"datenotequals":             {famDateEquals, true},
	"datelessthan":              {famDateLessThan, false},
	"datelessthanequals":        {famDateLessThanEquals, false},
	"dategreaterthan":           {famDateGreaterThan, false},
	"dategreaterthanequals":     {famDateGreaterThanEquals, false},
	"bool":                      {famBool, false},
	"binaryequals":              {famBinaryEquals, false},
	"ipaddress":                 {famIPAddress, false},
	"notipaddress":              {famIPAddress, true},
	"arnequals":                 {famArnLike, false},
	"arnnotequals":              {famArnLike, true},
	"arnlike":                   {famArnLike, false},
	"arnnotlike":                {famArnLike, true},
	"null":                      {famNull, false},
}

type setOp uint8

const (
	setNone setOp = iota
	setAnyValue
	setAllValues
)

// condValue is one policy value, pre-parsed for its family.
type condValue struct {
	pat    pattern      // string families, Bool, Binary
	arn    [6]pattern   // famArnLike
	arnOK  bool         // the value had six ARN components
	num    float64      // numeric
	t      int64        // date: Unix nanoseconds
	prefix netip.Prefix // IP
	null   bool         // Null: true means "key must be absent"
}

// condition is one (operator, key) pair with its values; all of a
// statement's conditions must hold (AND), any one value may match (OR).
type condition struct {
	op       string // as written, for messages
	fam      opFamily
	negated  bool
	ifExists bool
	set      setOp
	key      condKey
	values   []condValue
}

// compileCondition compiles one operator/key/values triple.
func compileCondition(op, key string, vals []string, vars bool) (condition, error) {
	c := condition{op: op}
	base := op
	if i := strings.IndexByte(op, ':'); i >= 0 {
		switch strings.ToLower(op[:i]) {
		case "foranyvalue":
			c.set = setAnyValue
		case "forallvalues":
			c.set = setAllValues
		default:
			return c, malformed(fmt.Sprintf("Invalid condition operator %q: unknown set operator %q (use ForAnyValue or ForAllValues).", op, op[:i]))
		}
		base = op[i+1:]
	}
	lb := strings.ToLower(base)
	if strings.HasSuffix(lb, "ifexists") && lb != "ifexists" {
		c.ifExists = true
		lb = lb[:len(lb)-len("ifexists")]
	}
	info, ok := operators[lb]
	if !ok {
		return c, malformed(fmt.Sprintf("Invalid condition operator %q.", op))
	}
	if info.fam == famNull && (c.ifExists || c.set != setNone) {
		return c, malformed(fmt.Sprintf("Invalid condition operator %q: Null cannot be combined with IfExists or a set operator.", op))
	}
	c.fam, c.negated = info.fam, info.negated
	if !strings.Contains(key, ":") {
		return c, malformed(MsgVendor)
	}
	c.key = compileKey(key)
	if len(vals) == 0 {
		return c, malformed(fmt.Sprintf("Condition %s for key %s has no values.", op, key))
	}
	for _, v := range vals {
		cv, err := compileValue(c.fam, v, vars)
		if err != nil {
			return c, malformed(fmt.Sprintf("Invalid value %q for condition %s on key %s: %s", v, op, key, err))
		}
		c.values = append(c.values, cv)
	}
	return c, nil
}

func compileValue(fam opFamily, v string, vars bool) (condValue, error) {
	var cv condValue
	switch fam {
	case famStringEquals:
		cv.pat = compilePattern(v, false, vars, false)
	case famStringEqualsIgnoreCase:
		cv.pat = compilePattern(v, false, vars, true)
	case famStringLike:
		cv.pat = compilePattern(v, true, vars, false)
	case famBool:
		lv := strings.ToLower(v)
		if lv != "true" && lv != "false" && !(vars && strings.Contains(v, "${")) {
			return cv, fmt.Errorf("Bool takes true or false")
		}
		cv.pat = compilePattern(v, false, vars, true)
	case famBinaryEquals:
		if _, err := base64.StdEncoding.DecodeString(v); err != nil {
			return cv, fmt.Errorf("BinaryEquals takes a base64 value")
		}
		cv.pat = compilePattern(v, false, false, false)
	case famNumericEquals, famNumericLessThan, famNumericLessThanEquals, famNumericGreaterThan, famNumericGreaterThanEquals:
		f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if err != nil {
			return cv, fmt.Errorf("not a number")
		}
		cv.num = f
	case famDateEquals, famDateLessThan, famDateLessThanEquals, famDateGreaterThan, famDateGreaterThanEquals:
		t, ok := parseDate(v)
		if !ok {
			return cv, fmt.Errorf("not an ISO 8601 date or epoch seconds")
		}
		cv.t = t
	case famIPAddress:
		p, ok := parseIPValue(v)
		if !ok {
			return cv, fmt.Errorf("not an IP address or CIDR block")
		}
		cv.prefix = p
	case famArnLike:
		parts, ok := splitARNPattern(v)
		if ok {
			for i, s := range parts {
				cv.arn[i] = compilePattern(s, true, vars, false)
			}
			cv.arnOK = true
		}
	case famNull:
		switch strings.ToLower(v) {
		case "true":
			cv.null = true
		case "false":
		default:
			return cv, fmt.Errorf("Null takes true or false")
		}
	}
	return cv, nil
}

// parseIPValue parses a policy IP value: CIDR, or a bare address meaning /32 (/128).
func parseIPValue(v string) (netip.Prefix, bool) {
	if strings.Contains(v, "/") {
		p, err := netip.ParsePrefix(v)
		if err != nil {
			return netip.Prefix{}, false
		}
		return p.Masked(), true
	}
	a, err := netip.ParseAddr(v)
	if err != nil {
		return netip.Prefix{}, false
	}
	return netip.PrefixFrom(a, a.BitLen()), true
}

// Date layouts IAM accepts (ISO 8601 forms); epoch seconds are handled apart.
var dateLayouts = [...]string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05Z0700",
	"2006-01-02T15:04Z07:00",
	"2006-01-02T15:04:05",
	"2006-01-02",
}

// parseDate parses an ISO 8601 date or epoch seconds into Unix nanoseconds.
func parseDate(v string) (int64, bool) {
	if v == "" {
		return 0, false
	}
	digits := true
	for i := 0; i < len(v); i++ {
		if v[i] < '0' || v[i] > '9' {
			digits = false
			break
		}
	}
	if digits {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n > 1<<33 {
			return 0, false
		}
		return n * int64(time.Second), true
	}
	for _, l := range dateLayouts {
		if t, err := time.Parse(l, v); err == nil {
			return t.UnixNano(), true
		}
	}
	return 0, false
}

// splitARNPattern splits a policy ARN value into its six components; the
// sixth keeps any further colons. Colons inside ${...} do not split.
func splitARNPattern(v string) ([6]string, bool) {
	var out [6]string
	n, start, depth := 0, 0, 0
	for i := 0; i < len(v) && n < 5; i++ {
		switch {
		case v[i] == '$' && i+1 < len(v) && v[i+1] == '{':
			depth++
		case v[i] == '}' && depth > 0:
			depth--
		case v[i] == ':' && depth == 0:
			out[n] = v[start:i]
			n++
			start = i + 1
		}
	}
	if n < 5 {
		return out, false
	}
	out[5] = v[start:]
	return out, true
}

// splitARN splits a request ARN into six components without allocating.
func splitARN(s string) ([6]string, bool) {
	var out [6]string
	n, start := 0, 0
	for i := 0; i < len(s) && n < 5; i++ {
		if s[i] == ':' {
			out[n] = s[start:i]
			n++
			start = i + 1
		}
	}
	if n < 5 {
		return out, false
	}
	out[5] = s[start:]
	return out, true
}

// matchOne applies the positive base comparison to one request value against
// one policy value.
func (c *condition) matchOne(v string, pv *condValue, e *evalCtx) bool {
	switch c.fam {
	case famStringEquals, famStringEqualsIgnoreCase, famStringLike, famBool, famBinaryEquals:
		return pv.pat.match(v, e)
	case famNumericEquals, famNumericLessThan, famNumericLessThanEquals, famNumericGreaterThan, famNumericGreaterThanEquals:
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return false
		}
		switch c.fam {
		case famNumericEquals:
			return f == pv.num
		case famNumericLessThan:
			return f < pv.num
		case famNumericLessThanEquals:
			return f <= pv.num
		case famNumericGreaterThan:
			return f > pv.num
		default:
			return f >= pv.num
		}
	case famDateEquals, famDateLessThan, famDateLessThanEquals, famDateGreaterThan, famDateGreaterThanEquals:
		t, ok := parseDate(v)
		if !ok {
			return false
		}
		switch c.fam {
		case famDateEquals:
			return t == pv.t
		case famDateLessThan:
			return t < pv.t
		case famDateLessThanEquals:
			return t <= pv.t
		case famDateGreaterThan:
			return t > pv.t
		default:
			return t >= pv.t
		}
	case famIPAddress:
		a, err := netip.ParseAddr(v)
		if err != nil {
			return false
		}
		return pv.prefix.Contains(a.Unmap())
	case famArnLike:
		if !pv.arnOK {
			return false
		}
		parts, ok := splitARN(v)
		if !ok {
			return false
		}
		for i := range parts {
			if !pv.arn[i].match(parts[i], e) {
				return false
			}
		}
		return true
	}
	return false
}

// anyPolicyValue reports whether v matches at least one policy value
// (policy values are ORed).
func (c *condition) anyPolicyValue(v string, e *evalCtx) bool {
	for i := range c.values {
		if c.matchOne(v, &c.values[i], e) {
			return true
		}
	}
	return false
}

// eval evaluates the condition for the request in a Deny statement (deny)
// or an Allow statement, following IAM's rules:
//
//   - Null: true checks the key is absent, false that it is present.
//   - Absent key: ...IfExists is true; ForAllValues is true (vacuous);
//     ForAnyValue is false; a negated operator (StringNotEquals,
//     NotIpAddress, ArnNotLike, ...) is true; any other is false.
//   - Present key, no set operator: a positive operator holds when some
//     request value matches some policy value; a negated one when none does.
//   - ForAnyValue: some request value matches (negated: fails to match) the
//     policy values; ForAllValues: every request value does.
//
// A folded key (kms:EncryptionContext:<key> and the tag keys, whose data
// part AWS matches ignoring case) is single-valued in AWS, yet a request
// can hold several entries that fold to it: the encryption context
// {"Classification":"restricted","CLASSIFICATION":"public"} has two values
// for kms:EncryptionContext:classification. AWS does not document which
// one it uses, and any choice of one could turn a Deny into an Allow, so
// Trent decides such a key so that it never does, whatever the order of
// the entries:
//
//   - each value v is tested on its own, as the only value of the key:
//     P(v) = v matches some policy value (negated operators: matches none;
//     with one value, ForAnyValue and ForAllValues mean the same);
//   - in a Deny statement the condition holds when P holds for ANY value
//     (a Deny that matches one of them applies);
//   - in an Allow statement it holds only when P holds for EVERY value
//     (an Allow must allow each of them).
//
// So StringEquals "restricted" in a Deny denies {restricted, public}, and
// StringNotEquals "public" in a Deny ("deny unless public") denies it too;
// in an Allow, StringEquals "public" and StringNotEquals "restricted" both
// fail for it. Presence does not depend on case, so Null and ...IfExists
// are unaffected: the key is present. A policy variable naming a folded
// key with several values cannot be resolved; the condition (or Resource)
// that uses it then holds in a Deny and fails in an Allow
// (evalCtx.ambiguous). Deny wins over Allow as always (IAM policy
// evaluation logic), so the rule can only refuse more than a choice of
// one value would.
func (c *condition) eval(e *evalCtx, deny bool) bool {
	e.ambiguous = false
	ok := c.evalValues(e, deny)
	if e.ambiguous {
		return deny
	}
	return ok
}

func (c *condition) evalValues(e *evalCtx, deny bool) bool {
	one, many, n := e.values(&c.key)
	if c.fam == famNull {
		absent := n <= 0
		for i := range c.values {
			if c.values[i].null == absent {
				return true
			}
		}
		return false
	}
	if n <= 0 {
		// A present but empty multi-valued key counts as absent (the empty set).
		if c.ifExists {
			return true
		}
		switch c.set {
		case setAllValues:
			return true
		case setAnyValue:
			return false
		}
		return c.negated
	}
	if many == nil {
		m := c.anyPolicyValue(one, e)
		if c.negated {
			return !m
		}
		return m
	}
	if c.key.folded && len(many) > 1 {
		// Several entries fold to this single-valued key: Deny if any
		// value satisfies the condition, Allow only if every one does.
		for _, v := range many {
			if p := c.anyPolicyValue(v, e) != c.negated; p == deny {
				return deny
			}
		}
		return !deny
	}
	switch c.set {
	case setAllValues:
		for _, v := range many {
			if c.anyPolicyValue(v, e) == c.negated {
				return false
			}
		}
		return true
	case setAnyValue:
		for _, v := range many {
			if c.anyPolicyValue(v, e) != c.negated {
				return true
			}
		}
		return false
	}
	for _, v := range many {
		if c.anyPolicyValue(v, e) {
			return !c.negated
		}
	}
	return c.negated
}
