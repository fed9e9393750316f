package main

import (
	"bytes"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"unicode"

	"github.com/trentkms/trent/internal/kmsmodel"
)

// validators writes a Validate method for every structure that requests
// carry: the model's required members, lengths, ranges, enums and
// patterns, reported as AWS reports them.
func (g *gen) validators(buf *bytes.Buffer) error {
	buf.WriteString("import (\n\t\"regexp\"\n\t\"unicode/utf8\"\n)\n\n")
	buf.WriteString("var (\n\t_ = regexp.MustCompile\n\t_ = utf8.RuneCountInString\n)\n\n")
	for _, name := range g.patterns {
		s := g.m.Shapes[name]
		re, err := goPattern(s.Pattern)
		if err != nil {
			return fmt.Errorf("shape %s: pattern %q: %w", name, s.Pattern, err)
		}
		fmt.Fprintf(buf, "// pattern%s is the model's pattern for %s, matched against the whole value.\n", name, name)
		fmt.Fprintf(buf, "var pattern%s = regexp.MustCompile(%q)\n\n", name, re)
	}
	elems := map[string]bool{}
	for _, name := range g.structs {
		if !g.inputs[name] {
			continue
		}
		s := g.m.Shapes[name]
		fs, err := g.fields(s)
		if err != nil {
			return err
		}
		fmt.Fprintf(buf, "// Validate checks v against the model's constraints and returns a\n")
		fmt.Fprintf(buf, "// *ValidationError listing every violation, or nil.\n")
		fmt.Fprintf(buf, "func (v *%s) Validate() error {\n\tvar c validator\n\tv.validate(&c, nil)\n\treturn c.err()\n}\n\n", name)
		fmt.Fprintf(buf, "func (v *%s) validate(c *validator, at *path) {\n", name)
		for i := range fs {
			if err := g.validateField(buf, s, &fs[i], elems); err != nil {
				return err
			}
		}
		buf.WriteString("}\n\n")
	}
	for _, name := range sortedKeys(elems) {
		g.elementCheck(buf, g.m.Shapes[name])
	}
	return nil
}

func sortedKeys(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// lowerCamel is a member's name in validation messages: keyId, tags.
func lowerCamel(s string) string {
	r := []rune(s)
	r[0] = unicode.ToLower(r[0])
	return string(r)
}

// limits returns the Go arguments for an optional min and max.
func limits(s *kmsmodel.Shape) (string, string) {
	lo, hi := "-1", "-1"
	if s.Min != nil {
		lo = fmt.Sprint(*s.Min)
	}
	if s.Max != nil {
		hi = fmt.Sprint(*s.Max)
	}
	return lo, hi
}

// validateField writes the checks of one member.
func (g *gen) validateField(buf *bytes.Buffer, s *kmsmodel.Shape, f *field, elems map[string]bool) error {
	x := "v." + f.Name
	n := fmt.Sprintf("%q", lowerCamel(f.Name))
	t := f.Shape
	lo, hi := limits(t)
	bounded := t.Min != nil || t.Max != nil
	var checks []string
	var null string // the test that the member is absent
	switch f.Kind {
	case kString:
		if !f.Ptr {
			return fmt.Errorf("%s.%s: request strings must be pointers", s.Name, f.Name)
		}
		null = x + " == nil"
		show := "true"
		if g.redacted(t) {
			show = "false"
		}
		if bounded {
			checks = append(checks, fmt.Sprintf("c.length(at, %s, *%s, %s, %s, %s)", n, x, lo, hi, show))
		}
		if len(t.Enum) > 0 {
			checks = append(checks, fmt.Sprintf("if !is%s(*%s) {\nc.enum(at, %s, *%s, set%s, %s)\n}", t.Name, x, n, x, t.Name, show))
		}
		if t.Pattern != "" {
			checks = append(checks, fmt.Sprintf("if !pattern%s.MatchString(*%s) {\nc.pattern(at, %s, *%s, %q, %s)\n}", t.Name, x, n, x, t.Pattern, show))
		}
	case kInt, kInt64:
		null = x + " == nil"
		if bounded {
			checks = append(checks, fmt.Sprintf("c.valueRange(at, %s, int64(*%s), %s, %s)", n, x, lo, hi))
		}
	case kTime:
		null = x + " == nil"
	case kBool:
		// A bool cannot be told absent from false; the model requires none.
		if f.Required {
			return fmt.Errorf("%s.%s: required booleans are not supported", s.Name, f.Name)
		}
		return nil
	case kBlob:
		null = x + " == nil"
		if bounded {
			checks = append(checks, fmt.Sprintf("c.size(at, %s, len(%s), %s, %s)", n, x, lo, hi))
		}
	case kMap:
		null = x + " == nil"
		if bounded {
			checks = append(checks, fmt.Sprintf("c.size(at, %s, len(%s), %s, %s)", n, x, lo, hi))
		}
	case kStrings:
		null = x + " == nil"
		if bounded {
			checks = append(checks, fmt.Sprintf("c.size(at, %s, len(%s), %s, %s)", n, x, lo, hi))
		}
		e := g.m.Shapes[f.Elem]
		if hasConstraints(e) {
			elems[e.Name] = true
			show := !g.redacted(e)
			checks = append(checks, fmt.Sprintf("var bad uint8\nfor _, s := range %s {\nbad |= check%s(s)\n}\nif bad != 0 {\nc.elements(at, %s, %s, bad, &msgs%s, %t)\n}", x, e.Name, n, x, e.Name, show))
		}
	case kStruct:
		null = x + " == nil"
		checks = append(checks, fmt.Sprintf("%s.validate(c, &path{parent: at, name: %s})", x, n))
	case kStructs:
		null = x + " == nil"
		if bounded {
			checks = append(checks, fmt.Sprintf("c.size(at, %s, len(%s), %s, %s)", n, x, lo, hi))
		}
		checks = append(checks, fmt.Sprintf("for i := range %s {\n%s[i].validate(c, &path{parent: at, name: %s, index: i + 1})\n}", x, x, n))
	default:
		return fmt.Errorf("%s.%s: cannot validate %s", s.Name, f.Name, f.Kind)
	}
	body := strings.Join(checks, "\n")
	switch {
	case f.Required && body != "":
		fmt.Fprintf(buf, "\tif %s {\n\t\tc.null(at, %s)\n\t} else {\n%s\n\t}\n", null, n, body)
	case f.Required:
		fmt.Fprintf(buf, "\tif %s {\n\t\tc.null(at, %s)\n\t}\n", null, n)
	case body != "":
		fmt.Fprintf(buf, "\tif %s {\n%s\n\t}\n", strings.Replace(null, " == ", " != ", 1), body)
	}
	return nil
}

// elementCheck writes checkX, which returns the constraints of the string
// shape X that s violates as bits (length min, length max, enum, pattern),
// and msgsX, their constraint texts.
func (g *gen) elementCheck(buf *bytes.Buffer, e *kmsmodel.Shape) {
	msgs := [4]string{`""`, `""`, `""`, `""`} // Go expressions
	fmt.Fprintf(buf, "// check%s returns the constraints of %s that s violates, as bits.\n", e.Name, e.Name)
	fmt.Fprintf(buf, "func check%s(s string) uint8 {\n\tvar bad uint8\n", e.Name)
	if e.Min != nil || e.Max != nil {
		buf.WriteString("\tn := utf8.RuneCountInString(s)\n")
	}
	if e.Min != nil {
		fmt.Fprintf(buf, "\tif n < %d {\n\t\tbad |= 1\n\t}\n", *e.Min)
		msgs[0] = fmt.Sprintf("%q", fmt.Sprintf("Member must have length greater than or equal to %d", *e.Min))
	}
	if e.Max != nil {
		fmt.Fprintf(buf, "\tif n > %d {\n\t\tbad |= 2\n\t}\n", *e.Max)
		msgs[1] = fmt.Sprintf("%q", fmt.Sprintf("Member must have length less than or equal to %d", *e.Max))
	}
	if len(e.Enum) > 0 {
		fmt.Fprintf(buf, "\tif !is%s(s) {\n\t\tbad |= 4\n\t}\n", e.Name)
		msgs[2] = `"Member must satisfy enum value set: " + set` + e.Name
	}
	if e.Pattern != "" {
		fmt.Fprintf(buf, "\tif !pattern%s.MatchString(s) {\n\t\tbad |= 8\n\t}\n", e.Name)
		msgs[3] = fmt.Sprintf("%q", "Member must satisfy regular expression pattern: "+e.Pattern)
	}
	buf.WriteString("\treturn bad\n}\n\n")
	fmt.Fprintf(buf, "var msgs%s = [4]string{%s}\n\n", e.Name, strings.Join(msgs[:], ", "))
}

// redacted reports whether messages leave out values of the string shape
// s: the model marks it sensitive, or wire.json redacts it.
func (g *gen) redacted(s *kmsmodel.Shape) bool {
	return s.Sensitive || slices.Contains(g.w.Redact, s.Name)
}

var javaUnicode = regexp.MustCompile(`\\u([0-9A-Fa-f]{4})`)

// goPattern turns a model pattern (Java syntax, matched against the whole
// value) into a Go regular expression anchored at both ends.
func goPattern(p string) (string, error) {
	re := "^(?:" + javaUnicode.ReplaceAllString(p, `\x{$1}`) + ")$"
	if _, err := regexp.Compile(re); err != nil {
		return "", err
	}
	return re, nil
}
