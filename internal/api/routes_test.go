package api

import (
	"encoding/json"
	"reflect"
	"slices"
	"testing"

	"github.com/trentkms/trent/internal/iam"
	"github.com/trentkms/trent/internal/kmsmodel"
	"github.com/trentkms/trent/internal/service"
)

// TestRoutesAreTheTable checks that the handler serves exactly the
// operation table: a KMS route per KMS entry, an IAM or STS route per
// entry, the metrics' operation names the table's names, and that an
// operation of the model that the table does not serve is
// UnknownOperationException.
func TestRoutesAreTheTable(t *testing.T) {
	f := newFixture(t)
	var kms, all []string
	for _, op := range service.Operations() {
		all = append(all, op.Name)
		if op.API == service.APIKMS {
			kms = append(kms, op.Model.Target)
		}
	}
	var routes []string
	for target := range f.h.routes {
		routes = append(routes, target)
	}
	slices.Sort(kms)
	slices.Sort(routes)
	if !slices.Equal(kms, routes) {
		t.Errorf("KMS routes %v, table %v", routes, kms)
	}
	slices.Sort(all)
	if got := Operations(); !slices.Equal(got, all) {
		t.Errorf("Operations() = %v, want the table's %v", got, all)
	}
	h := New(Config{IAM: &iam.Service{}})
	for api, routes := range map[service.API]map[string]queryRoute{service.APIIAM: h.iamRoutes, service.APISTS: h.stsRoutes} {
		for _, op := range service.Operations() {
			if op.API == api && routes[op.Name].op != op {
				t.Errorf("%s has no query route", op.Name)
			}
		}
	}
	for name := range service.NotServed {
		w := f.call(t, name, map[string]any{}, nil)
		var e struct {
			Type string `json:"__type"`
		}
		json.Unmarshal(w.body.Bytes(), &e)
		if w.status != 400 || e.Type != "UnknownOperationException" {
			t.Errorf("%s: HTTP %d %s, want UnknownOperationException", name, w.status, e.Type)
		}
	}
}

// TestScrubSensitive fills the blobs of every KMS operation's output and
// checks that scrub zeroes those the model marks sensitive (plaintext,
// private keys, shared secrets) once the response is written.
func TestScrubSensitive(t *testing.T) {
	m, err := kmsmodel.Load()
	if err != nil {
		t.Fatal(err)
	}
	for _, op := range service.Operations() {
		if op.API != service.APIKMS || op.Model.Output == "" {
			continue
		}
		out := op.Model.NewOutput()
		v := reflect.ValueOf(out).Elem()
		shape := m.Shapes[op.Model.Output]
		var sensitive []string
		for i := range v.NumField() {
			f := v.Type().Field(i)
			if f.Type != reflect.TypeFor[[]byte]() {
				continue
			}
			v.Field(i).SetBytes([]byte{1, 2, 3})
			if mem := shape.Member(f.Name); mem != nil && m.Shapes[mem.Shape].Sensitive {
				sensitive = append(sensitive, f.Name)
			}
		}
		scrub(out)
		for _, name := range sensitive {
			if b := v.FieldByName(name).Bytes(); !slices.Equal(b, []byte{0, 0, 0}) {
				t.Errorf("%s: %s is %v after scrub, want zeroes", op.Name, name, b)
			}
		}
	}
}
