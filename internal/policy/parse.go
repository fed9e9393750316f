package policy

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
)

// Versions the policy language defines. Policy variables are substituted
// only under VersionCurrent; under VersionLegacy "${...}" is literal text
// (IAM JSON policy elements: Version).
const (
	VersionCurrent = "2012-10-17"
	VersionLegacy  = "2008-10-17"
)

// Parse validates doc as a policy of the given kind and compiles it.
// Invalid documents return a *MalformedError whose Msg is the precise
// message to give the caller. Parse never panics on any input.
func Parse(doc string, kind Kind) (*Policy, error) {
	if kind == KeyPolicy && len(doc) > MaxKeyPolicySize {
		return nil, &MalformedError{Limit: true, Msg: fmt.Sprintf("Policy document exceeds the maximum size of %d bytes (it has %d bytes).", MaxKeyPolicySize, len(doc))}
	}
	if strings.TrimSpace(doc) == "" {
		return nil, malformed("Policy document is empty.")
	}
	dec := json.NewDecoder(strings.NewReader(doc))
	dec.UseNumber()
	var root any
	if err := dec.Decode(&root); err != nil {
		return nil, malformed(fmt.Sprintf("%s The document is not valid JSON: %s.", MsgSyntax, jsonDetail(err)))
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, malformed(MsgSyntax + " The document has text after the closing brace.")
	}
	obj, ok := root.(map[string]any)
	if !ok {
		return nil, malformed(MsgSyntax + " The document must be a JSON object.")
	}
	for _, k := range sortedKeys(obj) {
		switch k {
		case "Version", "Id", "Statement":
		default:
			return nil, malformed(fmt.Sprintf("%s Unknown field %s.", MsgSyntax, k))
		}
	}
	p := &Policy{kind: kind, doc: doc, version: VersionLegacy}
	if v, ok := obj["Version"]; ok {
		s, ok := v.(string)
		if !ok || (s != VersionCurrent && s != VersionLegacy) {
			return nil, malformed(fmt.Sprintf("Invalid policy Version %s: it must be %q or %q.", jsonText(v), VersionCurrent, VersionLegacy))
		}
		p.version = s
	}
	if v, ok := obj["Id"]; ok {
		s, ok := v.(string)
		if !ok {
			return nil, malformed(fmt.Sprintf("%s Id must be a string, not %s.", MsgSyntax, jsonText(v)))
		}
		p.id = s
	}
	sv, ok := obj["Statement"]
	if !ok {
		return nil, malformed("Missing required field Statement.")
	}
	var raw []any
	switch t := sv.(type) {
	case map[string]any:
		raw = []any{t}
	case []any:
		raw = t
	default:
		return nil, malformed(fmt.Sprintf("%s Statement must be an object or an array of objects, not %s.", MsgSyntax, jsonText(sv)))
	}
	if len(raw) == 0 {
		return nil, malformed("Policy document must contain at least one statement.")
	}
	vars := p.version == VersionCurrent
	sids := map[string]bool{}
	for i, r := range raw {
		m, ok := r.(map[string]any)
		if !ok {
			return nil, malformed(fmt.Sprintf("%s Statement %d must be an object, not %s.", MsgSyntax, i+1, jsonText(r)))
		}
		st, err := parseStatement(m, kind, vars)
		if err != nil {
			return nil, err
		}
		if kind != KeyPolicy && st.sid != "" {
			if sids[st.sid] {
				return nil, malformed(MsgSidUnique)
			}
			sids[st.sid] = true
		}
		p.stmts = append(p.stmts, st)
	}
	return p, nil
}

var statementFields = map[string]bool{
	"Sid": true, "Effect": true, "Principal": true, "NotPrincipal": true,
	"Action": true, "NotAction": true, "Resource": true, "NotResource": true,
	"Condition": true,
}

// trustActions are the actions a role trust policy may name.
var trustActions = []string{
	"sts:assumerole", "sts:assumerolewithsaml", "sts:assumerolewithwebidentity",
	"sts:tagsession", "sts:setsourceidentity", "sts:setcontext",
}

func parseStatement(m map[string]any, kind Kind, vars bool) (statement, error) {
	var st statement
	for _, k := range sortedKeys(m) {
		if !statementFields[k] {
			return st, malformed(fmt.Sprintf("%s Unknown field %s in statement.", MsgSyntax, k))
		}
	}
	if v, ok := m["Sid"]; ok {
		s, ok := v.(string)
		if !ok {
			return st, malformed(fmt.Sprintf("%s Sid must be a string, not %s.", MsgSyntax, jsonText(v)))
		}
		if kind != KeyPolicy {
			for i := 0; i < len(s); i++ {
				c := s[i]
				if !('0' <= c && c <= '9' || 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z') {
					return st, malformed(MsgSidChars)
				}
			}
		}
		st.sid = s
	}

	// Effect.
	ev, ok := m["Effect"]
	if !ok {
		return st, malformed("Missing required field Effect.")
	}
	switch ev {
	case "Allow":
	case "Deny":
		st.deny = true
	default:
		return st, malformed(fmt.Sprintf("Invalid effect: %s. Effect must be \"Allow\" or \"Deny\".", jsonText(ev)))
	}

	// Principal / NotPrincipal.
	pv, hasP := m["Principal"]
	npv, hasNP := m["NotPrincipal"]
	if hasP && hasNP {
		return st, malformed("A statement cannot contain both Principal and NotPrincipal.")
	}
	switch kind {
	case IdentityPolicy:
		if hasP || hasNP {
			return st, malformed(MsgIdentityPrincipal)
		}
	default:
		if !hasP && !hasNP {
			return st, malformed("Missing required field Principal.")
		}
		el := pv
		if hasNP {
			el, st.notPrincipal = npv, true
		}
		ps, err := parsePrincipal(el, kind)
		if err != nil {
			return st, err
		}
		st.principals, st.hasPrincipal = ps, true
	}

	// Action / NotAction.
	av, hasA := m["Action"]
	nav, hasNA := m["NotAction"]
	if hasA && hasNA {
		return st, malformed("A statement cannot contain both Action and NotAction.")
	}
	if !hasA && !hasNA {
		return st, malformed(MsgNoActions)
	}
	name, el := "Action", av
	if hasNA {
		name, el, st.notAction = "NotAction", nav, true
	}
	acts, err := stringList(name, el)
	if err != nil {
		return st, err
	}
	if len(acts) == 0 {
		return st, malformed(MsgNoActions)
	}
	for _, a := range acts {
		if a != "*" {
			c := strings.IndexByte(a, ':')
			if c <= 0 || c == len(a)-1 {
				return st, malformed(MsgVendor)
			}
			if strings.ContainsAny(a[:c], "*?") {
				return st, malformed(fmt.Sprintf("Vendor %s is not valid: the service prefix of an action cannot contain wildcards.", a[:c]))
			}
		}
		if kind == TrustPolicy && !st.notAction && !trustActionOK(a) {
			return st, malformed(fmt.Sprintf("Trust policy action %s is not valid: a role trust policy may only name sts:AssumeRole, sts:AssumeRoleWithSAML, sts:AssumeRoleWithWebIdentity, sts:TagSession, sts:SetSourceIdentity or sts:SetContext.", a))
		}
		st.actions = append(st.actions, compilePattern(strings.ToLower(a), true, false, true))
	}

	// Resource / NotResource.
	rv, hasR := m["Resource"]
	nrv, hasNR := m["NotResource"]
	if hasR && hasNR {
		return st, malformed("A statement cannot contain both Resource and NotResource.")
	}
	if kind == TrustPolicy {
		if hasR {
			return st, malformed("Has prohibited field Resource")
		}
		if hasNR {
			return st, malformed("Has prohibited field NotResource")
		}
	} else {
		if !hasR && !hasNR {
			return st, malformed(MsgNoResources)
		}
		name, el := "Resource", rv
		if hasNR {
			name, el, st.notResource = "NotResource", nrv, true
		}
		res, err := stringList(name, el)
		if err != nil {
			return st, err
		}
		if len(res) == 0 {
			return st, malformed(MsgNoResources)
		}
		for _, r := range res {
			if r != "*" && !strings.HasPrefix(r, "arn:") {
				return st, malformed(fmt.Sprintf("Resource %s must be in ARN format or \"*\".", r))
			}
			st.resources = append(st.resources, compilePattern(r, true, vars, false))
		}
		st.hasResource = true
	}

	// Condition.
	if cv, ok := m["Condition"]; ok {
		conds, err := parseConditions(cv, vars)
		if err != nil {
			return st, err
		}
		st.conds = conds
	}
	return st, nil
}

func trustActionOK(a string) bool {
	la := strings.ToLower(a)
	for _, t := range trustActions {
		if la == t {
			return true
		}
	}
	// A wildcard is fine if it can only match sts actions.
	return strings.HasPrefix(la, "sts:")
}

func parseConditions(v any, vars bool) ([]condition, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return nil, malformed(fmt.Sprintf("%s Condition must be an object, not %s.", MsgSyntax, jsonText(v)))
	}
	var out []condition
	for _, op := range sortedKeys(m) {
		km, ok := m[op].(map[string]any)
		if !ok {
			return nil, malformed(fmt.Sprintf("%s Condition operator %s must map to an object of condition keys, not %s.", MsgSyntax, op, jsonText(m[op])))
		}
		if len(km) == 0 {
			return nil, malformed(fmt.Sprintf("Condition operator %s has no condition keys.", op))
		}
		for _, key := range sortedKeys(km) {
			vals, err := conditionValues(op, key, km[key])
			if err != nil {
				return nil, err
			}
			c, err := compileCondition(op, key, vals, vars)
			if err != nil {
				return nil, err
			}
			out = append(out, c)
		}
	}
	return out, nil
}

// conditionValues accepts a string, number or boolean, or an array of them
// (IAM accepts unquoted numbers and booleans in conditions).
func conditionValues(op, key string, v any) ([]string, error) {
	scalar := func(x any) (string, bool) {
		switch t := x.(type) {
		case string:
			return t, true
		case json.Number:
			return t.String(), true
		case bool:
			if t {
				return "true", true
			}
			return "false", true
		}
		return "", false
	}
	if s, ok := scalar(v); ok {
		return []string{s}, nil
	}
	arr, ok := v.([]any)
	if !ok {
		return nil, malformed(fmt.Sprintf("%s Condition %s key %s must have a string or an array of strings, not %s.", MsgSyntax, op, key, jsonText(v)))
	}
	out := make([]string, 0, len(arr))
	for _, x := range arr {
		s, ok := scalar(x)
		if !ok {
			return nil, malformed(fmt.Sprintf("%s Condition %s key %s has a value that is not a string: %s.", MsgSyntax, op, key, jsonText(x)))
		}
		out = append(out, s)
	}
	return out, nil
}

// stringList decodes an element that is a string or an array of strings.
func stringList(name string, v any) ([]string, error) {
	switch t := v.(type) {
	case string:
		return []string{t}, nil
	case []any:
		out := make([]string, 0, len(t))
		for _, x := range t {
			s, ok := x.(string)
			if !ok {
				return nil, malformed(fmt.Sprintf("%s %s must be a string or an array of strings; found %s.", MsgSyntax, name, jsonText(x)))
			}
			out = append(out, s)
		}
		return out, nil
	}
	return nil, malformed(fmt.Sprintf("%s %s must be a string or an array of strings, not %s.", MsgSyntax, name, jsonText(v)))
}

func sortedKeys(m map[string]any) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// jsonText renders a decoded JSON value for an error message.
func jsonText(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	if len(b) > 80 {
		return string(b[:77]) + "..."
	}
	return string(b)
}

func jsonDetail(err error) string {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Sprintf("%s at byte %d", se.Error(), se.Offset)
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return "unexpected end of document"
	}
	return err.Error()
}
