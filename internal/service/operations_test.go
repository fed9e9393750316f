package service

import (
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/trentkms/trent/internal/kmsapi"
	"github.com/trentkms/trent/internal/kmsmodel"
)

// TestEveryModelOperationServedOrListed fails for an operation of the
// KMS model (the vendored model with its overlay) that has no entry in the
// operation table and is not listed in NotServed, and for one that is
// both, or that NotServed names wrongly.
func TestEveryModelOperationServedOrListed(t *testing.T) {
	model := map[string]bool{}
	for _, op := range kmsapi.Operations() {
		model[op.Name] = true
		served := Lookup(APIKMS, op.Name) != nil
		_, notServed := NotServed[op.Name]
		switch {
		case !served && !notServed:
			t.Errorf("%s is in the model, not in the operation table and not in NotServed", op.Name)
		case served && notServed:
			t.Errorf("%s is in the operation table and in NotServed", op.Name)
		}
	}
	for name := range NotServed {
		if !model[name] {
			t.Errorf("NotServed names %s, which the model does not have", name)
		}
	}
	for _, op := range Operations() {
		if op.API == APIKMS && !model[op.Name] {
			t.Errorf("the table serves %s, which the model does not have", op.Name)
		}
	}
}

// TestTableEntries checks each entry against the model: its input and
// output types, its actions, and that its audit members exist and hold
// nothing secret.
func TestTableEntries(t *testing.T) {
	m, err := kmsmodel.Load()
	if err != nil {
		t.Fatal(err)
	}
	// Members whose values must never reach an audit event, beyond those
	// the model marks sensitive or types as blobs.
	secret := map[string]bool{"GrantTokens": true, "GrantToken": true, "Recipient": true}
	seen := map[string]bool{}
	for _, op := range Operations() {
		if seen[op.Name+"/"+op.API.EventSource()] {
			t.Errorf("%s twice", op.Name)
		}
		seen[op.Name+"/"+op.API.EventSource()] = true
		if len(op.Actions) == 0 {
			t.Errorf("%s authorizes no action", op.Name)
		}
		if op.Limit() <= 0 {
			t.Errorf("%s: body limit %d", op.Name, op.Limit())
		}
		if op.API != APIKMS {
			if op.Model != nil || op.call != nil {
				t.Errorf("%s is not a KMS operation but has a model operation or method", op.Name)
			}
			continue
		}
		mo := m.Operation(op.Name)
		if mo == nil || op.Model.Name != op.Name || op.Model.Target != "TrentService."+op.Name {
			t.Fatalf("%s: model operation %+v", op.Name, op.Model)
		}
		for _, a := range op.Actions {
			if !strings.HasPrefix(a.Name, "kms:") || a.Resource == 0 {
				t.Errorf("%s: action %+v", op.Name, a)
			}
			if a.Grant != "" && a.Grant != strings.TrimPrefix(a.Name, "kms:") {
				t.Errorf("%s: grant operation %s for action %s", op.Name, a.Grant, a.Name)
			}
		}
		in := m.Shapes[mo.Input]
		for _, r := range op.Request {
			name, _, _ := strings.Cut(r, "=")
			mem := in.Member(name)
			if mem == nil {
				t.Errorf("%s: audit member %s is not a member of %s", op.Name, name, mo.Input)
				continue
			}
			sh := m.Shapes[mem.Shape]
			if sh.Sensitive || sh.Type == "blob" || secret[name] {
				t.Errorf("%s: audit member %s is secret", op.Name, name)
			}
		}
		if !slices.IsSorted(op.Request) {
			t.Errorf("%s: audit members %v are not sorted, the order the audit log has always written them in", op.Name, op.Request)
		}
	}
}

// TestGrantOperations checks that the table's grant operations are the
// model's GrantOperation values, each allowing one action.
func TestGrantOperations(t *testing.T) {
	var got []string
	for _, op := range Operations() {
		for _, a := range op.Actions {
			if a.Grant != "" {
				got = append(got, a.Grant)
			}
		}
	}
	slices.Sort(got)
	want := kmsapi.GrantOperationValues()
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("grant operations of the table: %v\nthe model's GrantOperation: %v", got, want)
	}
}

// TestMethodsMatchTable checks that every exported Service method that
// takes a kmsapi request runs an operation of the table, of that name:
// an operation cannot have a method and no entry.
func TestMethodsMatchTable(t *testing.T) {
	st := reflect.TypeFor[*Service]()
	input := reflect.TypeFor[kmsapi.Input]()
	for i := range st.NumMethod() {
		meth := st.Method(i)
		ft := meth.Type
		if ft.NumIn() != 4 || !ft.In(3).Implements(input) {
			continue
		}
		op := Lookup(APIKMS, meth.Name)
		if op == nil {
			t.Errorf("Service.%s takes %s but has no entry in the operation table", meth.Name, ft.In(3))
			continue
		}
		if got := reflect.TypeOf(op.Model.NewInput()); got != ft.In(3) {
			t.Errorf("Service.%s takes %s, the table's model operation %s", meth.Name, ft.In(3), got)
		}
	}
}

// TestCallValidates checks that Call refuses, with the model's message, a
// request that breaks the model's constraints, before the operation runs.
func TestCallValidates(t *testing.T) {
	s, _, _ := newClocked(t)
	_, err := callOp(t, s, caller(), "GenerateMac", &kmsapi.GenerateMacRequest{})
	const want = "3 validation errors detected: " +
		"Value null at 'message' failed to satisfy constraint: Member must not be null; " +
		"Value null at 'keyId' failed to satisfy constraint: Member must not be null; " +
		"Value null at 'macAlgorithm' failed to satisfy constraint: Member must not be null"
	if e, ok := err.(*Error); !ok || e.Kind != KindValidation || e.Message != want {
		t.Errorf("GenerateMac {}: %v, want Validation %q", err, want)
	}
}
