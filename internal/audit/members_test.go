package audit

import (
	"reflect"
	"testing"
	"time"
)

type stamp time.Time

func (s stamp) MarshalJSON() ([]byte, error) { return []byte(`1700000000.5`), nil }

type membersTag struct {
	TagKey   *string
	TagValue *string
}

type membersInput struct {
	KeyId     *string
	Limit     *int
	DryRun    bool
	Context   map[string]string
	TagKeys   []string
	Tags      []membersTag
	ValidTo   *stamp
	Algorithm *string
	Secret    []byte
}

func TestMembers(t *testing.T) {
	k, v, id, n := "k", "v", "key<1>", 7
	names := []string{"Algorithm=SYMMETRIC_DEFAULT", "Context", "DryRun", "KeyId", "Limit", "TagKeys", "Tags", "ValidTo"}
	m, err := NewMembers(reflect.TypeFor[membersInput](), names)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		in   *membersInput
		want string
	}{
		{"nothing set: the default only", &membersInput{Secret: []byte("x")}, `{"algorithm":"SYMMETRIC_DEFAULT"}`},
		{"empty lists and maps are left out", &membersInput{Context: map[string]string{}, TagKeys: []string{}, Algorithm: new(string)},
			`{"algorithm":""}`},
		{"every kind", &membersInput{KeyId: &id, Limit: &n, DryRun: true, Context: map[string]string{"Dept": "A", "b": "c"},
			TagKeys: []string{"x"}, Tags: []membersTag{{&k, &v}}, ValidTo: new(stamp)},
			`{"algorithm":"SYMMETRIC_DEFAULT","context":{"Dept":"A","b":"c"},"dryRun":true,"keyId":"key\u003c1\u003e","limit":7,` +
				`"tagKeys":["x"],"tags":[{"tagKey":"k","tagValue":"v"}],"validTo":1700000000.5}`},
	} {
		if got := string(m.JSON(tc.in)); got != tc.want {
			t.Errorf("%s: %s, want %s", tc.name, got, tc.want)
		}
	}
	if got := m.JSON(&membersTag{}); got != nil {
		t.Errorf("another type: %s, want nil", got)
	}
	none, _ := NewMembers(reflect.TypeFor[membersInput](), nil)
	if got := none.JSON(&membersInput{KeyId: &id}); got != nil {
		t.Errorf("no members: %s, want nil", got)
	}
	if _, err := NewMembers(reflect.TypeFor[membersInput](), []string{"Plaintext"}); err == nil {
		t.Error("NewMembers takes a member the type does not have")
	}
}
