package storetest

import (
	"errors"
	"fmt"
	"testing"

	"github.com/trentkms/trent/internal/store"
)

func testDomainNotInitialised(t *testing.T, s store.Store) {
	if _, err := s.Domain(t.Context()); !errors.Is(err, store.ErrNotInitialised) {
		t.Fatalf("Domain on an empty store: got error %v, want %v", err, store.ErrNotInitialised)
	}
}

func testBootstrap(t *testing.T, s store.Store) {
	bootstrap(t, s)
	d, err := s.Domain(t.Context())
	if err != nil {
		t.Fatalf("Domain: %v", err)
	}
	if d := diff(testDomain(), d); d != "" {
		t.Errorf("Domain mismatch (-want +got):\n%s", d)
	}
	a, err := s.Account(t.Context(), acct1)
	if err != nil {
		t.Fatalf("Account: %v", err)
	}
	if d := diff(testAccount(acct1), a); d != "" {
		t.Errorf("Account mismatch (-want +got):\n%s", d)
	}
	k, err := s.AccessKey(t.Context(), "AKIA1")
	if err != nil {
		t.Fatalf("AccessKey: %v", err)
	}
	if d := diff(testAccessKey("AKIA1", acct1), k); d != "" {
		t.Errorf("AccessKey mismatch (-want +got):\n%s", d)
	}
}

func testBootstrapTwice(t *testing.T, s store.Store) {
	bootstrap(t, s)
	other := testDomain()
	other.WrappedKey, other.SealType = []byte("other"), "other"
	err := s.Bootstrap(t.Context(), other, testAccount(acct2), testAccessKey("AKIA2", acct2))
	if !errors.Is(err, store.ErrAlreadyInitialised) {
		t.Fatalf("second Bootstrap: got error %v, want %v", err, store.ErrAlreadyInitialised)
	}
	d, err := s.Domain(t.Context())
	if err != nil {
		t.Fatalf("Domain: %v", err)
	}
	if d := diff(testDomain(), d); d != "" {
		t.Errorf("Domain changed by a failed Bootstrap (-want +got):\n%s", d)
	}
	if _, err := s.Account(t.Context(), acct2); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Account of a failed Bootstrap: got error %v, want %v", err, store.ErrNotFound)
	}
	if _, err := s.AccessKey(t.Context(), "AKIA2"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("AccessKey of a failed Bootstrap: got error %v, want %v", err, store.ErrNotFound)
	}
}

func testBootstrapRace(t *testing.T, s store.Store) {
	errs := race(raceN, func(i int) error {
		acct := fmt.Sprintf("%012d", i)
		return s.Bootstrap(t.Context(), testDomain(), testAccount(acct), testAccessKey(fmt.Sprintf("AKIA%d", i), acct))
	})
	w := oneWinner(t, errs, store.ErrAlreadyInitialised)
	accts, err := s.ListAccounts(t.Context())
	if err != nil {
		t.Fatalf("ListAccounts: %v", err)
	}
	want := []store.Account{testAccount(fmt.Sprintf("%012d", w))}
	if d := diff(want, accts); d != "" {
		t.Errorf("accounts after racing Bootstrap (-want +got):\n%s", d)
	}
}

func testCreateAccount(t *testing.T, s store.Store) {
	a := testAccount(acct2)
	a.PendingCredentials = false
	if err := s.CreateAccount(t.Context(), a, testAccessKey("AKIA2", acct2)); err != nil {
		t.Fatalf("CreateAccount: %v", err)
	}
	got, err := s.Account(t.Context(), acct2)
	if err != nil {
		t.Fatalf("Account: %v", err)
	}
	if d := diff(a, got); d != "" {
		t.Errorf("Account mismatch (-want +got):\n%s", d)
	}
	k, err := s.AccessKey(t.Context(), "AKIA2")
	if err != nil {
		t.Fatalf("AccessKey: %v", err)
	}
	if d := diff(testAccessKey("AKIA2", acct2), k); d != "" {
		t.Errorf("AccessKey mismatch (-want +got):\n%s", d)
	}
}

func testCreateAccountExists(t *testing.T, s store.Store) {
	bootstrap(t, s)
	a := testAccount(acct1)
	a.PendingCredentials = false
	err := s.CreateAccount(t.Context(), a, testAccessKey("AKIA2", acct1))
	if !errors.Is(err, store.ErrExists) {
		t.Fatalf("CreateAccount of a taken ID: got error %v, want %v", err, store.ErrExists)
	}
	got, err := s.Account(t.Context(), acct1)
	if err != nil {
		t.Fatalf("Account: %v", err)
	}
	if d := diff(testAccount(acct1), got); d != "" {
		t.Errorf("Account changed by a failed CreateAccount (-want +got):\n%s", d)
	}
	if _, err := s.AccessKey(t.Context(), "AKIA2"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("AccessKey of a failed CreateAccount: got error %v, want %v", err, store.ErrNotFound)
	}
}

func testCreateAccountAccessKeyExists(t *testing.T, s store.Store) {
	bootstrap(t, s)
	err := s.CreateAccount(t.Context(), testAccount(acct2), testAccessKey("AKIA1", acct2))
	if !errors.Is(err, store.ErrExists) {
		t.Fatalf("CreateAccount with a taken access key ID: got error %v, want %v", err, store.ErrExists)
	}
	if _, err := s.Account(t.Context(), acct2); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Account of a failed CreateAccount: got error %v, want %v", err, store.ErrNotFound)
	}
	k, err := s.AccessKey(t.Context(), "AKIA1")
	if err != nil {
		t.Fatalf("AccessKey: %v", err)
	}
	if k.AccountID != acct1 {
		t.Errorf("AccessKey(AKIA1).AccountID = %q, want %q", k.AccountID, acct1)
	}
}

func testAccountNotFound(t *testing.T, s store.Store) {
	if _, err := s.Account(t.Context(), acct2); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Account of a missing ID: got error %v, want %v", err, store.ErrNotFound)
	}
	if err := s.SetCredentialsDelivered(t.Context(), acct2); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("SetCredentialsDelivered of a missing ID: got error %v, want %v", err, store.ErrNotFound)
	}
	if _, err := s.AccessKey(t.Context(), "AKIAMISSING"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("AccessKey of a missing ID: got error %v, want %v", err, store.ErrNotFound)
	}
}

func testListAccounts(t *testing.T, s store.Store) {
	got, err := s.ListAccounts(t.Context())
	if err != nil {
		t.Fatalf("ListAccounts on an empty store: %v", err)
	}
	if len(got) != 0 {
		t.Errorf("ListAccounts on an empty store = %v, want none", got)
	}
	ids := []string{"999999999999", acct1, "000000000001", acct2}
	for i, id := range ids {
		if err := s.CreateAccount(t.Context(), testAccount(id), testAccessKey(fmt.Sprintf("AKIA%d", i), id)); err != nil {
			t.Fatalf("CreateAccount(%s): %v", id, err)
		}
	}
	got, err = s.ListAccounts(t.Context())
	if err != nil {
		t.Fatalf("ListAccounts: %v", err)
	}
	var want []store.Account
	for _, id := range []string{"000000000001", acct1, acct2, "999999999999"} {
		want = append(want, testAccount(id))
	}
	if d := diff(want, got); d != "" {
		t.Errorf("ListAccounts mismatch (-want +got):\n%s", d)
	}
}

func testSetCredentialsDelivered(t *testing.T, s store.Store) {
	bootstrap(t, s)
	for range 2 { // idempotent
		if err := s.SetCredentialsDelivered(t.Context(), acct1); err != nil {
			t.Fatalf("SetCredentialsDelivered: %v", err)
		}
		a, err := s.Account(t.Context(), acct1)
		if err != nil {
			t.Fatalf("Account: %v", err)
		}
		if a.PendingCredentials {
			t.Errorf("PendingCredentials after SetCredentialsDelivered = true, want false")
		}
	}
}

func testGetAccessKey(t *testing.T, s store.Store) {
	bootstrap(t, s)
	k := testAccessKey("AKIA2", acct2)
	k.Active = false
	k.WrappedSecret = []byte{}
	if err := s.CreateAccount(t.Context(), testAccount(acct2), k); err != nil {
		t.Fatalf("CreateAccount: %v", err)
	}
	got, err := s.AccessKey(t.Context(), "AKIA2")
	if err != nil {
		t.Fatalf("AccessKey: %v", err)
	}
	if d := diff(k, got); d != "" {
		t.Errorf("AccessKey mismatch (-want +got):\n%s", d)
	}
}

func testAccessKeysOf(t *testing.T, s store.Store) {
	bootstrap(t, s)
	if err := s.CreateAccount(t.Context(), testAccount(acct2), testAccessKey("AKIA2", acct2)); err != nil {
		t.Fatalf("CreateAccount: %v", err)
	}
	for _, tc := range []struct {
		account string
		want    []store.AccessKey
	}{
		{acct1, []store.AccessKey{testAccessKey("AKIA1", acct1)}},
		{acct2, []store.AccessKey{testAccessKey("AKIA2", acct2)}},
		{"000000000000", nil},
	} {
		got, err := s.AccessKeysOf(t.Context(), tc.account)
		if err != nil {
			t.Fatalf("AccessKeysOf(%s): %v", tc.account, err)
		}
		if d := diff(tc.want, got); d != "" {
			t.Errorf("AccessKeysOf(%s) mismatch (-want +got):\n%s", tc.account, d)
		}
	}
}
