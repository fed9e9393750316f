package iam

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/trentkms/trent/internal/keyring"
	"github.com/trentkms/trent/internal/sigv4"
	"github.com/trentkms/trent/internal/store"
)

// fakeStore is an in-memory access-key table that counts reads.
type fakeStore struct {
	keys  map[string]store.AccessKey
	reads int
}

func (f *fakeStore) AccessKey(_ context.Context, id string) (store.AccessKey, error) {
	f.reads++
	k, ok := f.keys[id]
	if !ok {
		return k, store.ErrNotFound
	}
	return k, nil
}

func (f *fakeStore) User(context.Context, string, string) (store.User, error) {
	return store.User{}, store.ErrNotFound
}

func (f *fakeStore) Role(context.Context, string, string) (store.Role, error) {
	return store.Role{}, store.ErrNotFound
}

func (f *fakeStore) Policies(context.Context, string, string, string) ([]store.InlinePolicy, error) {
	return nil, nil
}

func newKeyring(t *testing.T) *keyring.Keyring {
	dk, err := keyring.NewDomainKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	kr, err := keyring.Open(dk, keyring.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { kr.Close() })
	return kr
}

func TestDirectory(t *testing.T) {
	ctx := t.Context()
	kr := newKeyring(t)
	ak, secret, err := NewAccessKey(kr, "111122223333", RootARN("111122223333"), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if len(ak.ID) != 20 || ak.ID[:4] != "AKIA" || len(secret) != 40 || string(ak.WrappedSecret) == secret {
		t.Fatalf("access key %q / secret of %d chars / wrapped %x", ak.ID, len(secret), ak.WrappedSecret)
	}
	st := &fakeStore{keys: map[string]store.AccessKey{ak.ID: ak}}
	d := NewDirectory(st, kr)
	now := time.Unix(1_800_000_000, 0)
	d.now = func() time.Time { return now }

	c, err := d.Lookup(ctx, ak.ID)
	if err != nil {
		t.Fatal(err)
	}
	if string(c.Secret) != secret {
		t.Errorf("Lookup returned another secret")
	}
	p := c.Handle.(*Principal)
	if p.Account != "111122223333" || p.ARN != "arn:aws:iam::111122223333:root" {
		t.Errorf("principal %+v", p)
	}
	c2, _ := d.Lookup(ctx, ak.ID)
	if c2 != c || st.reads != 1 {
		t.Errorf("second Lookup: same credential %v, %d store reads; want the cached one, 1 read", c2 == c, st.reads)
	}

	// Unknown keys are remembered for a second, then looked up again.
	for range 3 {
		if _, err := d.Lookup(ctx, "AKIAUNKNOWNUNKNOWN00"); !errors.Is(err, sigv4.ErrUnknownAccessKey) {
			t.Fatalf("unknown key: %v", err)
		}
	}
	if st.reads != 2 {
		t.Errorf("%d store reads after 3 lookups of one unknown key, want 2 (1 + 1 negative-cached)", st.reads)
	}
	now = now.Add(2 * time.Second)
	d.Lookup(ctx, "AKIAUNKNOWNUNKNOWN00")
	if st.reads != 3 {
		t.Errorf("after the negative TTL: %d reads, want 3", st.reads)
	}

	// An inactive key is unknown; Forget makes the directory re-read.
	ak.Active = false
	st.keys[ak.ID] = ak
	d.Forget(ak.ID)
	if _, err := d.Lookup(ctx, ak.ID); !errors.Is(err, sigv4.ErrUnknownAccessKey) {
		t.Errorf("inactive key after Forget: %v, want ErrUnknownAccessKey", err)
	}
}

func TestAccountIDs(t *testing.T) {
	for range 100 {
		id, err := NewAccountID()
		if err != nil || !ValidAccountID(id) || id[0] == '0' {
			t.Fatalf("NewAccountID = %q, %v", id, err)
		}
	}
	for _, bad := range []string{"", "12345678901", "1234567890123", "12345678901a"} {
		if ValidAccountID(bad) {
			t.Errorf("ValidAccountID(%q) = true", bad)
		}
	}
}

func TestWrappedSecretBoundToKey(t *testing.T) {
	kr := newKeyring(t)
	ak, _, err := NewAccessKey(kr, "111122223333", RootARN("111122223333"), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := kr.UnwrapSecret(SecretLabel("AKIAOTHEROTHEROTHER0"), ak.WrappedSecret); err == nil {
		t.Errorf("a secret wrapped for one access key unwrapped under another's label")
	}
}
