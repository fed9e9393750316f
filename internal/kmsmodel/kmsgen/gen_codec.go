package main

import (
	"bytes"
	"fmt"
)

// decoders writes a DecodeJSON method for every structure that requests
// carry.
func (g *gen) decoders(buf *bytes.Buffer) error {
	buf.WriteString("import \"github.com/trentkms/trent/internal/awsjson\"\n\n")
	for _, name := range g.structs {
		if !g.inputs[name] {
			continue
		}
		s := g.m.Shapes[name]
		fs, err := g.fields(s)
		if err != nil {
			return err
		}
		fmt.Fprintf(buf, "// DecodeJSON reads the members of the object d is in into v, matching\n")
		fmt.Fprintf(buf, "// names exactly and skipping unknown members. Errors are left in d.\n")
		fmt.Fprintf(buf, "func (v *%s) DecodeJSON(d *awsjson.Decoder) {\n", name)
		if len(fs) == 0 {
			buf.WriteString("\tfor d.Next() {\n\t}\n}\n\n")
			continue
		}
		buf.WriteString("\tfor d.Next() {\n\t\tswitch d.Key() {\n")
		for i := range fs {
			f := &fs[i]
			fmt.Fprintf(buf, "\t\tcase %q:\n", f.Name)
			x := "v." + f.Name
			switch f.Kind {
			case kString:
				fmt.Fprintf(buf, "\t\t\t%s = d.StringPtr()\n", x)
			case kBool:
				fmt.Fprintf(buf, "\t\t\t%s = d.Bool()\n", x)
			case kInt:
				fmt.Fprintf(buf, "\t\t\t%s = d.IntPtr()\n", x)
			case kBlob:
				fmt.Fprintf(buf, "\t\t\t%s = d.Blob()\n", x)
			case kMap:
				fmt.Fprintf(buf, "\t\t\t%s = d.StringMap()\n", x)
			case kStrings:
				fmt.Fprintf(buf, "\t\t\t%s = d.StringList()\n", x)
			case kTime:
				fmt.Fprintf(buf, "\t\t\t%s = nil\n\t\t\tif t, ok := d.Timestamp(); ok {\n\t\t\t\te := Epoch(t)\n\t\t\t\t%s = &e\n\t\t\t}\n", x, x)
			case kStruct:
				fmt.Fprintf(buf, "\t\t\t%s = nil\n\t\t\tif d.Object() {\n\t\t\t\t%s = new(%s)\n\t\t\t\t%s.DecodeJSON(d)\n\t\t\t}\n", x, x, f.Elem, x)
			case kStructs:
				fmt.Fprintf(buf, "\t\t\t%s = nil\n", x)
				fmt.Fprintf(buf, "\t\t\tif d.ObjectList(func(e *awsjson.Decoder) {\n")
				fmt.Fprintf(buf, "\t\t\t\t%s = append(%s, %s{})\n\t\t\t\t%s[len(%s)-1].DecodeJSON(e)\n", x, x, f.Elem, x, x)
				fmt.Fprintf(buf, "\t\t\t}) && %s == nil {\n\t\t\t\t%s = []%s{}\n\t\t\t}\n", x, x, f.Elem)
			default:
				return fmt.Errorf("%s.%s: cannot decode %s", name, f.Name, f.Kind)
			}
		}
		buf.WriteString("\t\t}\n\t}\n}\n\n")
	}
	return nil
}

// encoders writes an EncodeJSON method for every structure that responses
// carry: the bytes encoding/json writes for the type's fields and tags.
func (g *gen) encoders(buf *bytes.Buffer) error {
	buf.WriteString("import (\n\t\"time\"\n\n\t\"github.com/trentkms/trent/internal/awsjson\"\n)\n\n")
	buf.WriteString("var _ time.Time // used by timestamps, if any\n\n")
	for _, name := range g.structs {
		if !g.outputs[name] {
			continue
		}
		s := g.m.Shapes[name]
		fs, err := g.fields(s)
		if err != nil {
			return err
		}
		fmt.Fprintf(buf, "// EncodeJSON writes v as a JSON object, byte for byte as json.Marshal does.\n")
		fmt.Fprintf(buf, "func (v *%s) EncodeJSON(e *awsjson.Encoder) {\n\te.Begin()\n\tv.encodeMembers(e)\n\te.End()\n}\n\n", name)
		fmt.Fprintf(buf, "func (v *%s) encodeMembers(e *awsjson.Encoder) {\n", name)
		for i := range fs {
			f := &fs[i]
			always := !g.omitempty(s, f)
			x := "v." + f.Name
			n := fmt.Sprintf("%q", f.Name)
			// cond is the test that a member left out when empty is
			// present; write writes it.
			var cond, write string
			switch f.Kind {
			case kString:
				if f.Ptr {
					cond, write = x+" != nil", "e.String("+n+", *"+x+")"
				} else {
					cond, write = x+` != ""`, "e.String("+n+", "+x+")"
				}
			case kBool:
				cond, write = x, "e.Bool("+n+", "+x+")"
			case kInt, kInt64:
				if f.Ptr {
					cond, write = x+" != nil", "e.Int("+n+", int(*"+x+"))"
				} else {
					cond, write = x+" != 0", "e.Int("+n+", int("+x+"))"
				}
			case kTime:
				if f.Ptr {
					cond, write = x+" != nil", "e.Timestamp("+n+", time.Time(*"+x+"))"
				} else {
					cond, write = "true", "e.Timestamp("+n+", time.Time("+x+"))"
				}
			case kBlob:
				cond, write = "len("+x+") > 0", "e.Blob("+n+", "+x+")"
			case kMap:
				cond, write = "len("+x+") > 0", "e.StringMap("+n+", "+x+")"
			case kStrings:
				cond, write = "len("+x+") > 0", "e.StringList("+n+", "+x+")"
			case kStruct:
				cond, write = x+" != nil", "e.Object("+n+")\n"+x+".encodeMembers(e)\ne.End()"
			case kStructs:
				cond = "len(" + x + ") > 0"
				write = "e.List(" + n + ")\nfor i := range " + x + " {\ne.ElemObject()\n" + x + "[i].encodeMembers(e)\ne.End()\n}\ne.EndList()"
			default:
				return fmt.Errorf("%s.%s: cannot encode %s", name, f.Name, f.Kind)
			}
			switch {
			case !always:
				fmt.Fprintf(buf, "\tif %s {\n%s\n\t}\n", cond, write)
			case f.Kind == kStructs:
				// encoding/json writes null for a nil slice, [] for an empty one.
				fmt.Fprintf(buf, "\tif %s == nil {\n\t\te.Null(%s)\n\t} else {\n%s\n\t}\n", x, n, write)
			case f.Ptr || f.Kind == kStruct:
				fmt.Fprintf(buf, "\tif %s {\n%s\n\t} else {\n\t\te.Null(%s)\n\t}\n", cond, write, n)
			default:
				// Blobs, maps and string lists write null for nil themselves.
				fmt.Fprintf(buf, "\t%s\n", write)
			}
		}
		buf.WriteString("}\n\n")
	}
	return nil
}
