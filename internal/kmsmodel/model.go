// Package kmsmodel holds the AWS KMS API model that Trent serves and reads
// it for the code generator (kmsgen) and for tests; the server does not
// import it.
//
// Three files make the model:
//
//   - service-2.json: botocore's KMS model (Apache-2.0, see LICENSE and
//     NOTICE), vendored verbatim.
//   - overlay.json: what that model does not have yet and Trent serves,
//     in the model's own shape, naming its source. Merge adds it to the
//     model: new operations and shapes, and new enum values, members and
//     required members of existing shapes. It can only add: an overlay
//     entry that the model already has is an error, so that a newer
//     vendored model forces the overlay to shrink.
//   - wire.json: the choices Trent's responses already made where the
//     model leaves them open (member order, members written even when
//     empty) and the order in which validation messages list some enums.
//
// awsdata/ holds what AWS clients read with AWS_DATA_PATH: the merged
// model (written by kmsgen), botocore's paginators and endpoint rules.
package kmsmodel

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
)

var (
	//go:embed service-2.json
	serviceJSON []byte
	//go:embed overlay.json
	overlayJSON []byte
	//go:embed wire.json
	wireJSON []byte
)

// ServiceJSON returns the vendored model, verbatim.
func ServiceJSON() []byte { return bytes.Clone(serviceJSON) }

// OverlayJSON returns the overlay, verbatim.
func OverlayJSON() []byte { return bytes.Clone(overlayJSON) }

// WireJSON returns the wire choices, verbatim.
func WireJSON() []byte { return bytes.Clone(wireJSON) }

// Model is a merged KMS model.
type Model struct {
	APIVersion   string
	TargetPrefix string // "TrentService"
	// Operations in name order.
	Operations []*Operation
	Shapes     map[string]*Shape

	doc *value // the merged document
}

// Operation is one API operation.
type Operation struct {
	Name   string
	Input  string // shape name; "" if the operation takes none
	Output string // shape name; "" if the operation returns none
	// Errors lists the documented error shapes, in the model's order.
	Errors        []string
	Documentation string
}

// Shape is one shape of the model. Only the fields of its Type are set.
type Shape struct {
	Name string
	// Type is structure, string, integer, long, boolean, blob, timestamp,
	// list or map.
	Type string
	// Structure.
	Members   []*Member // in the model's order
	Required  []string
	Exception bool
	// Constraints. Min and Max are lengths for strings, blobs, lists and
	// maps, values for integers; nil means none.
	Min, Max  *int64
	Pattern   string
	Enum      []string
	Sensitive bool
	// List member, map key and value shapes.
	ListMember, MapKey, MapValue string
	Documentation                string
}

// Member is one member of a structure.
type Member struct {
	Name  string
	Shape string
}

// IsRequired reports whether the structure s requires member name.
func (s *Shape) IsRequired(name string) bool { return slices.Contains(s.Required, name) }

// Member returns the member called name, or nil.
func (s *Shape) Member(name string) *Member {
	for _, m := range s.Members {
		if m.Name == name {
			return m
		}
	}
	return nil
}

// Operation returns the operation called name, or nil.
func (m *Model) Operation(name string) *Operation {
	for _, op := range m.Operations {
		if op.Name == name {
			return op
		}
	}
	return nil
}

// Load returns the vendored model merged with the overlay.
func Load() (*Model, error) {
	return Parse(serviceJSON, overlayJSON)
}

// Parse merges overlay into model (see the package documentation) and
// reads the result.
func Parse(model, overlay []byte) (*Model, error) {
	doc, err := parseJSON(model)
	if err != nil {
		return nil, fmt.Errorf("kmsmodel: model: %w", err)
	}
	ov, err := parseJSON(overlay)
	if err != nil {
		return nil, fmt.Errorf("kmsmodel: overlay: %w", err)
	}
	if err := merge(doc, ov); err != nil {
		return nil, fmt.Errorf("kmsmodel: overlay: %w", err)
	}
	m, err := read(doc)
	if err != nil {
		return nil, fmt.Errorf("kmsmodel: %w", err)
	}
	return m, nil
}

// merge adds the overlay ov to the model document doc.
func merge(doc, ov *value) error {
	if ov.kind != '{' {
		return fmt.Errorf("not an object")
	}
	for _, f := range ov.fields {
		switch f.name {
		case "x-trent-source":
			if f.val.kind != '"' || f.val.str == "" {
				return fmt.Errorf("x-trent-source must name the overlay's source")
			}
		case "operations", "shapes":
			dst := doc.get(f.name)
			if dst == nil || f.val.kind != '{' {
				return fmt.Errorf("%s: not an object", f.name)
			}
			for _, e := range f.val.fields {
				old := dst.get(e.name)
				if old == nil {
					dst.fields = append(dst.fields, e)
					continue
				}
				if f.name == "operations" {
					return fmt.Errorf("operation %s is in the model now: remove it from the overlay", e.name)
				}
				if err := extendShape(e.name, old, e.val); err != nil {
					return err
				}
			}
		default:
			return fmt.Errorf("unknown top-level member %q", f.name)
		}
	}
	if ov.get("x-trent-source") == nil {
		return fmt.Errorf("x-trent-source must name the overlay's source")
	}
	if doc.get("x-trent-source") != nil {
		return fmt.Errorf("the model has an x-trent-source member")
	}
	return nil
}

// extendShape adds an overlay entry's enum values, members and required
// members to an existing shape; anything else, or anything the shape has
// already, is an error.
func extendShape(name string, shape, ext *value) error {
	for _, f := range ext.fields {
		switch f.name {
		case "enum", "required":
			have := shape.get(f.name)
			if have == nil || have.kind != '[' || f.val.kind != '[' {
				return fmt.Errorf("shape %s: %s: the model's shape has no list to extend", name, f.name)
			}
			for _, x := range f.val.arr {
				for _, y := range have.arr {
					if y.str == x.str {
						return fmt.Errorf("shape %s: %s %q is in the model now: remove it from the overlay", name, f.name, x.str)
					}
				}
				have.arr = append(have.arr, x)
			}
		case "members":
			have := shape.get("members")
			if have == nil || f.val.kind != '{' {
				return fmt.Errorf("shape %s: members: the model's shape is not a structure", name)
			}
			for _, m := range f.val.fields {
				if have.get(m.name) != nil {
					return fmt.Errorf("shape %s: member %s is in the model now: remove it from the overlay", name, m.name)
				}
				have.fields = append(have.fields, m)
			}
		default:
			return fmt.Errorf("shape %s: the overlay can only add enum values, members and required members, not %q", name, f.name)
		}
	}
	return nil
}

// read builds the typed model from the merged document and checks that
// every shape it refers to exists.
func read(doc *value) (*Model, error) {
	md := doc.get("metadata")
	m := &Model{APIVersion: md.get("apiVersion").text(), TargetPrefix: md.get("targetPrefix").text(),
		Shapes: map[string]*Shape{}, doc: doc}
	if m.TargetPrefix == "" {
		return nil, fmt.Errorf("metadata has no targetPrefix")
	}
	for _, f := range doc.get("shapes").fields {
		s, err := readShape(f.name, f.val)
		if err != nil {
			return nil, err
		}
		m.Shapes[f.name] = s
	}
	for _, f := range doc.get("operations").fields {
		op := &Operation{Name: f.name, Input: f.val.get("input").get("shape").text(),
			Output: f.val.get("output").get("shape").text(), Documentation: f.val.get("documentation").text()}
		if e := f.val.get("errors"); e != nil {
			for _, x := range e.arr {
				op.Errors = append(op.Errors, x.get("shape").text())
			}
		}
		for _, ref := range append([]string{op.Input, op.Output}, op.Errors...) {
			if ref != "" && m.Shapes[ref] == nil {
				return nil, fmt.Errorf("operation %s: no shape %s", op.Name, ref)
			}
		}
		m.Operations = append(m.Operations, op)
	}
	slices.SortFunc(m.Operations, func(a, b *Operation) int { return cmpString(a.Name, b.Name) })
	for _, s := range m.Shapes {
		refs := []string{s.ListMember, s.MapKey, s.MapValue}
		for _, mem := range s.Members {
			refs = append(refs, mem.Shape)
		}
		for _, r := range s.Required {
			if s.Member(r) == nil {
				return nil, fmt.Errorf("shape %s: required member %s does not exist", s.Name, r)
			}
		}
		for _, ref := range refs {
			if ref != "" && m.Shapes[ref] == nil {
				return nil, fmt.Errorf("shape %s: no shape %s", s.Name, ref)
			}
		}
	}
	return m, nil
}

func cmpString(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func readShape(name string, v *value) (*Shape, error) {
	s := &Shape{Name: name, Type: v.get("type").text(), Pattern: v.get("pattern").text(),
		Documentation: v.get("documentation").text()}
	if s.Type == "" {
		return nil, fmt.Errorf("shape %s has no type", name)
	}
	s.Sensitive = v.get("sensitive") != nil && v.get("sensitive").bool
	s.Exception = v.get("exception") != nil && v.get("exception").bool
	for _, lim := range []struct {
		key string
		dst **int64
	}{{"min", &s.Min}, {"max", &s.Max}} {
		if x := v.get(lim.key); x != nil {
			n, err := strconv.ParseInt(x.num.String(), 10, 64)
			if err != nil {
				return nil, fmt.Errorf("shape %s: %s: %w", name, lim.key, err)
			}
			*lim.dst = &n
		}
	}
	if e := v.get("enum"); e != nil {
		for _, x := range e.arr {
			s.Enum = append(s.Enum, x.str)
		}
	}
	if r := v.get("required"); r != nil {
		for _, x := range r.arr {
			s.Required = append(s.Required, x.str)
		}
	}
	if ms := v.get("members"); ms != nil {
		for _, f := range ms.fields {
			s.Members = append(s.Members, &Member{Name: f.name, Shape: f.val.get("shape").text()})
		}
	}
	s.ListMember = v.get("member").get("shape").text()
	s.MapKey = v.get("key").get("shape").text()
	s.MapValue = v.get("value").get("shape").text()
	switch s.Type {
	case "structure", "string", "integer", "long", "boolean", "blob", "timestamp", "list", "map":
	default:
		return nil, fmt.Errorf("shape %s: type %q is not one the generator knows", name, s.Type)
	}
	return s, nil
}

// MergedJSON returns the merged model as service-2.json for AWS clients
// (AWS_DATA_PATH): the same document, overlay entries added.
func (m *Model) MergedJSON() []byte {
	var buf bytes.Buffer
	m.doc.write(&buf, 0)
	buf.WriteByte('\n')
	return buf.Bytes()
}

// Wire is what wire.json records.
type Wire struct {
	// Outputs maps a structure returned by an operation (or nested in
	// one) to the members Trent writes in a fixed order. Members of the
	// shape that are not listed follow, in the model's order.
	Outputs map[string]WireShape `json:"outputs"`
	// EnumMessageOrder maps an enum to the order in which AWS's
	// validation message lists its values, where it is known to differ
	// from the model's order.
	EnumMessageOrder map[string][]string `json:"enumMessageOrder"`
	// Redact lists string shapes whose values validation messages leave
	// out, as they leave out those the model marks sensitive.
	Redact []string `json:"redact"`
}

// WireShape is one output structure's wire choices.
type WireShape struct {
	// Order lists members in the order they are written.
	Order []string `json:"order"`
	// Always lists members written even when empty (null for nil); the
	// others are left out when empty, as encoding/json's omitempty does.
	Always []string `json:"always"`
	// Pointer lists members of an output-only structure that are pointers
	// (*string) rather than values.
	Pointer []string `json:"pointer,omitempty"`
}

// LoadWire reads wire.json and checks it against m: every shape and
// member it names exists.
func LoadWire(m *Model) (*Wire, error) {
	return ParseWire(m, wireJSON)
}

// ParseWire reads a wire.json document and checks it against m.
func ParseWire(m *Model, b []byte) (*Wire, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var w Wire
	if err := dec.Decode(&w); err != nil {
		return nil, fmt.Errorf("kmsmodel: wire.json: %w", err)
	}
	for name, ws := range w.Outputs {
		s := m.Shapes[name]
		if s == nil || s.Type != "structure" {
			return nil, fmt.Errorf("kmsmodel: wire.json: %s is not a structure of the model", name)
		}
		for _, list := range [][]string{ws.Order, ws.Always, ws.Pointer} {
			for _, mem := range list {
				if s.Member(mem) == nil {
					return nil, fmt.Errorf("kmsmodel: wire.json: %s has no member %s", name, mem)
				}
			}
		}
	}
	for name, order := range w.EnumMessageOrder {
		s := m.Shapes[name]
		if s == nil || len(s.Enum) == 0 {
			return nil, fmt.Errorf("kmsmodel: wire.json: %s is not an enum of the model", name)
		}
		if !sameSet(order, s.Enum) {
			return nil, fmt.Errorf("kmsmodel: wire.json: enumMessageOrder %s %v does not list the model's values %v", name, order, s.Enum)
		}
	}
	for _, name := range w.Redact {
		if s := m.Shapes[name]; s == nil || s.Type != "string" {
			return nil, fmt.Errorf("kmsmodel: wire.json: redact: %s is not a string shape of the model", name)
		}
	}
	return &w, nil
}

func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for _, x := range a {
		if !slices.Contains(b, x) {
			return false
		}
	}
	return true
}
