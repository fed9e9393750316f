package policy

import (
	"encoding/json"
	"errors"
	"io"
	"strings"
)

// ShowPrincipals returns doc with each "AWS" principal value of a
// Principal or NotPrincipal element replaced by show's answer when show
// says so (ok true), and every other byte unchanged. It is how a stored
// policy is displayed once a principal it names has been deleted: KMS's
// GetKeyPolicy and IAM's GetRole then show the deleted principal's unique
// ID in place of its ARN (IAM JSON policy elements: Principal; KMS key
// policies: "If you delete the principal, the key policy shows the
// principal's unique ID").
//
// doc is a document Parse accepted; ShowPrincipals never panics on any
// input, and returns doc unchanged when it is not valid JSON or show
// replaces nothing. Replacements are written as JSON strings.
func ShowPrincipals(doc string, show func(arn string) (string, bool)) string {
	type span struct {
		start, end int
		text       string
	}
	if !json.Valid([]byte(doc)) {
		return doc
	}
	var spans []span
	dec := json.NewDecoder(strings.NewReader(doc))
	// path holds, for every open container, "[]" for an array or the
	// current member name of an object; keyNext says, per open object,
	// whether its next string is a member name.
	var path []string
	var keyNext []bool
	var isObj []bool
	prevEnd := 0
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return doc
		}
		end := int(dec.InputOffset())
		n := len(isObj)
		switch t := tok.(type) {
		case json.Delim:
			switch t {
			case '{', '[':
				if n > 0 && isObj[n-1] {
					keyNext[n-1] = true // the container is this member's value
				}
				isObj = append(isObj, t == '{')
				keyNext = append(keyNext, t == '{')
				if t == '{' {
					path = append(path, "")
				} else {
					path = append(path, "[]")
				}
			default:
				isObj, keyNext, path = isObj[:n-1], keyNext[:n-1], path[:n-1]
			}
		case string:
			if n > 0 && isObj[n-1] && keyNext[n-1] {
				path[n-1] = t
				keyNext[n-1] = false
				break
			}
			if n > 0 && isObj[n-1] {
				keyNext[n-1] = true
			}
			if principalPath(path) {
				if repl, ok := show(t); ok {
					start := strings.IndexByte(doc[prevEnd:end], '"')
					if start < 0 {
						return doc
					}
					q, err := json.Marshal(repl)
					if err != nil {
						return doc
					}
					spans = append(spans, span{prevEnd + start, end, string(q)})
				}
			}
		default:
			if n > 0 && isObj[n-1] {
				keyNext[n-1] = true
			}
		}
		prevEnd = end
	}
	if len(spans) == 0 {
		return doc
	}
	var b strings.Builder
	last := 0
	for _, s := range spans {
		b.WriteString(doc[last:s.start])
		b.WriteString(s.text)
		last = s.end
	}
	b.WriteString(doc[last:])
	return b.String()
}

// principalPath reports whether a string at path is an AWS principal:
// Statement[/[]]/(Principal|NotPrincipal)/AWS[/[]] in the document object
// (path[0] is the document's own member name).
func principalPath(path []string) bool {
	p := path
	if len(p) < 3 || p[0] != "Statement" {
		return false
	}
	p = p[1:]
	if p[0] == "[]" {
		p = p[1:]
	}
	if len(p) < 2 || p[0] != "Principal" && p[0] != "NotPrincipal" || p[1] != "AWS" {
		return false
	}
	p = p[2:]
	return len(p) == 0 || len(p) == 1 && p[0] == "[]"
}
