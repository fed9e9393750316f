package storetest

import (
	"errors"
	"fmt"
	"testing"

	"github.com/trentkms/trent/internal/store"
)

func testGrant(account, region, keyID, id string) store.Grant {
	return store.Grant{
		Account: account, Region: region, KeyID: keyID, ID: id,
		Name:              "name-" + id,
		GranteePrincipal:  "arn:aws:iam::" + acct2 + ":user/alice",
		GranteeID:         "AIDAALICE0000000000",
		RetiringPrincipal: "arn:aws:iam::" + acct2 + ":role/retirer",
		RetiringID:        "AROARETIRER00000000",
		IssuingAccount:    "arn:aws:iam::" + account + ":root",
		Operations:        []string{"Encrypt", "Decrypt"},
		Constraints:       store.GrantConstraints{EncryptionContextSubset: map[string]string{"dept": "a", "Ünï": "çødé"}},
		CreatedAt:         at(10),
	}
}

func grantsOf(t *testing.T, s store.Store, ref store.KeyRef) []store.Grant {
	t.Helper()
	gs, err := s.Grants(t.Context(), ref)
	if err != nil {
		t.Fatalf("Grants: %v", err)
	}
	return gs
}

func testCreateGrant(t *testing.T, s store.Store) {
	k := createKey(t, s, testKey(acct1, region1, "key-1"))
	g1 := testGrant(acct1, region1, "key-1", "g1")
	g2 := testGrant(acct1, region1, "key-1", "g0")
	g2.CreatedAt = at(11)
	g2.Constraints = store.GrantConstraints{EncryptionContextEquals: map[string]string{"x": "y"}}
	g2.RetiringPrincipal, g2.RetiringID = "", ""
	for _, g := range []store.Grant{g1, g2} {
		if err := s.CreateGrant(t.Context(), g, 0); err != nil {
			t.Fatalf("CreateGrant: %v", err)
		}
	}
	// Ordered by creation time, not ID.
	if d := diff([]store.Grant{g1, g2}, grantsOf(t, s, k.Ref())); d != "" {
		t.Errorf("Grants mismatch (-want +got):\n%s", d)
	}
	if err := s.CreateGrant(t.Context(), g1, 0); !errors.Is(err, store.ErrExists) {
		t.Errorf("CreateGrant of a taken ID: got %v, want %v", err, store.ErrExists)
	}
	missing := testGrant(acct1, region2, "key-1", "g9")
	if err := s.CreateGrant(t.Context(), missing, 0); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("CreateGrant on a key of another region: got %v, want %v", err, store.ErrNotFound)
	}
	if gs := grantsOf(t, s, store.KeyRef{Account: acct1, Region: region2, ID: "key-1"}); len(gs) != 0 {
		t.Errorf("Grants of an unknown key = %v, want none", gs)
	}
}

func testGrantLimit(t *testing.T, s store.Store) {
	k := createKey(t, s, testKey(acct1, region1, "key-1"))
	for i := range 2 {
		if err := s.CreateGrant(t.Context(), testGrant(acct1, region1, "key-1", fmt.Sprint("g", i)), 2); err != nil {
			t.Fatalf("CreateGrant %d: %v", i, err)
		}
	}
	errs := race(raceN, func(i int) error {
		return s.CreateGrant(t.Context(), testGrant(acct1, region1, "key-1", fmt.Sprintf("racer-%02d", i)), 3)
	})
	oneWinner(t, errs, store.ErrLimitExceeded)
	if n := len(grantsOf(t, s, k.Ref())); n != 3 {
		t.Errorf("key has %d grants after the race, want 3", n)
	}
}

func testDeleteGrant(t *testing.T, s store.Store) {
	k := createKey(t, s, testKey(acct1, region1, "key-1"))
	g := testGrant(acct1, region1, "key-1", "g1")
	if err := s.CreateGrant(t.Context(), g, 0); err != nil {
		t.Fatal(err)
	}
	before, err := s.LatestChange(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteGrant(t.Context(), k.Ref(), "g1"); err != nil {
		t.Fatalf("DeleteGrant: %v", err)
	}
	if gs := grantsOf(t, s, k.Ref()); len(gs) != 0 {
		t.Errorf("Grants after DeleteGrant = %v", gs)
	}
	if err := s.DeleteGrant(t.Context(), k.Ref(), "g1"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("second DeleteGrant: got %v, want %v", err, store.ErrNotFound)
	}
	ch, err := s.Changes(t.Context(), before, base.AddDate(100, 0, 0), 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(ch) != 1 || ch[0].Kind != store.ChangeKey || ch[0].Name != "key-1" {
		t.Errorf("change feed after DeleteGrant = %+v, want one key-1 entry", ch)
	}
	// Destroying the key destroys its grants.
	if err := s.CreateGrant(t.Context(), g, 0); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteKey(t.Context(), k.Ref(), k.Version); err != nil {
		t.Fatal(err)
	}
	if gs := grantsOf(t, s, k.Ref()); len(gs) != 0 {
		t.Errorf("Grants of a destroyed key = %v", gs)
	}
	if gs, err := s.RetirableGrants(t.Context(), g.RetiringPrincipal, g.RetiringID, "", 10); err != nil || len(gs) != 0 {
		t.Errorf("RetirableGrants after the key was destroyed = %v, %v", gs, err)
	}
}

func testRetirableGrants(t *testing.T, s store.Store) {
	createKey(t, s, testKey(acct1, region1, "key-1"))
	createKey(t, s, testKey(acct1, region2, "key-1"))
	createKey(t, s, testKey(acct2, region1, "key-2"))
	var want []store.Grant
	for _, g := range []store.Grant{
		testGrant(acct2, region1, "key-2", "b"),
		testGrant(acct1, region1, "key-1", "b"),
		testGrant(acct1, region2, "key-1", "a"),
		testGrant(acct1, region1, "key-1", "a"),
	} {
		if err := s.CreateGrant(t.Context(), g, 0); err != nil {
			t.Fatal(err)
		}
	}
	other := testGrant(acct1, region1, "key-1", "c")
	other.RetiringPrincipal, other.RetiringID = "arn:aws:iam::"+acct1+":root", ""
	if err := s.CreateGrant(t.Context(), other, 0); err != nil {
		t.Fatal(err)
	}
	// The same ARN bound to another principal (one deleted and created
	// again under the same name) is another retiring principal.
	recreated := testGrant(acct1, region1, "key-1", "d")
	recreated.RetiringID = "AROARETIRER00000002"
	if err := s.CreateGrant(t.Context(), recreated, 0); err != nil {
		t.Fatal(err)
	}
	want = []store.Grant{
		testGrant(acct1, region2, "key-1", "a"), // eu-west-1 < us-east-1
		testGrant(acct1, region1, "key-1", "a"),
		testGrant(acct1, region1, "key-1", "b"),
		testGrant(acct2, region1, "key-2", "b"),
	}
	var got []store.Grant
	after := ""
	for {
		page, err := s.RetirableGrants(t.Context(), want[0].RetiringPrincipal, want[0].RetiringID, after, 3)
		if err != nil {
			t.Fatalf("RetirableGrants: %v", err)
		}
		got = append(got, page...)
		if len(page) < 3 {
			break
		}
		after = store.GrantCursor(page[len(page)-1])
	}
	if d := diff(want, got); d != "" {
		t.Errorf("RetirableGrants mismatch (-want +got):\n%s", d)
	}
	if gs, err := s.RetirableGrants(t.Context(), other.RetiringPrincipal, "", "", 10); err != nil || len(gs) != 1 || gs[0].ID != "c" {
		t.Errorf("RetirableGrants of the account = %v, %v; want grant c", gs, err)
	}
	if gs, err := s.RetirableGrants(t.Context(), recreated.RetiringPrincipal, recreated.RetiringID, "", 10); err != nil || len(gs) != 1 || gs[0].ID != "d" {
		t.Errorf("RetirableGrants of the principal created again = %v, %v; want grant d", gs, err)
	}
	if _, err := s.RetirableGrants(t.Context(), "x", "", "", 0); err == nil {
		t.Error("RetirableGrants with limit 0: no error")
	}
}
