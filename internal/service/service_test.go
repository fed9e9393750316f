package service

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/trentkms/trent/internal/keyring"
	"github.com/trentkms/trent/internal/kmsapi"
	"github.com/trentkms/trent/internal/store"
	"github.com/trentkms/trent/internal/store/sqlite"
	"github.com/trentkms/trent/internal/store/sqlstore"
)

// node is one service over a store, as one trent process has it.
type node struct {
	svc   *Service
	store *sqlstore.DB
}

// newNodes opens n services on one SQLite file, sharing one domain key,
// like n nodes sharing one database.
func newNodes(t *testing.T, n int) []node {
	t.Helper()
	path := filepath.Join(t.TempDir(), "trent.db")
	dk, err := keyring.NewDomainKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	var nodes []node
	for range n {
		st, err := sqlite.Open(t.Context(), path)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		kr, err := keyring.Open(dk, keyring.Options{Source: MaterialSource(st)})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { kr.Close() })
		nodes = append(nodes, node{svc: New(Config{Store: st, Keyring: kr}), store: st})
	}
	// The accounts the tests act in exist, as key policies may name them.
	for i, acct := range []string{"111122223333", "444455556666"} {
		k := store.AccessKey{ID: fmt.Sprintf("AKIATESTACCOUNT%d", i), AccountID: acct, PrincipalARN: "arn:aws:iam::" + acct + ":root",
			WrappedSecret: []byte("unused"), Active: true, CreatedAt: time.Now()}
		if err := nodes[0].store.CreateAccount(t.Context(), store.Account{ID: acct, CreatedAt: time.Now()}, k); err != nil {
			t.Fatal(err)
		}
	}
	return nodes
}

// caller returns the account root as a new request's caller: a Caller holds
// request-scoped state.
func caller() *Caller {
	return &Caller{Account: "111122223333", ARN: "arn:aws:iam::111122223333:root", Region: "us-east-1"}
}

func ptr[T any](v T) *T { return &v }

func kindOf(err error) Kind { return KindOf(err) }

// TestWatcherInvalidates checks deterministically that a change made
// through one node is honoured by another after one poll of the change
// feed, and not before (the other node serves from its cache).
func TestWatcherInvalidates(t *testing.T) {
	ctx := t.Context()
	nodes := newNodes(t, 2)
	a, b := nodes[0], nodes[1]
	w := NewWatcher(b.svc, b.store)
	if _, err := w.Poll(ctx); err != nil {
		t.Fatal(err)
	}
	out, err := a.svc.CreateKey(ctx, caller(), &kmsapi.CreateKeyRequest{})
	if err != nil {
		t.Fatal(err)
	}
	keyID := out.KeyMetadata.KeyId
	if _, err := a.svc.CreateAlias(ctx, caller(), &kmsapi.CreateAliasRequest{AliasName: ptr("alias/w"), TargetKeyId: &keyID}); err != nil {
		t.Fatal(err)
	}
	enc := &kmsapi.EncryptRequest{KeyId: ptr("alias/w"), Plaintext: []byte("x")}
	if _, err := b.svc.Encrypt(ctx, caller(), enc); err != nil {
		t.Fatalf("Encrypt on node b: %v", err)
	}
	if _, err := a.svc.DisableKey(ctx, caller(), &kmsapi.DisableKeyRequest{KeyId: &keyID}); err != nil {
		t.Fatal(err)
	}
	// Node a honours its own change at once.
	if _, err := a.svc.Encrypt(ctx, caller(), enc); kindOf(err) != KindDisabled {
		t.Fatalf("Encrypt on node a after DisableKey: got %v, want Disabled", err)
	}
	// Node b still has the key cached as enabled until it polls.
	if _, err := b.svc.Encrypt(ctx, caller(), enc); err != nil {
		t.Fatalf("Encrypt on node b before polling: %v (the cache should still serve it)", err)
	}
	n, err := w.Poll(ctx)
	if err != nil || n != 1 {
		t.Fatalf("Poll: %d changes, %v; want 1", n, err)
	}
	if _, err := b.svc.Encrypt(ctx, caller(), enc); kindOf(err) != KindDisabled {
		t.Fatalf("Encrypt on node b after polling: got %v, want Disabled", err)
	}
	// Alias changes propagate the same way.
	if _, err := a.svc.DeleteAlias(ctx, caller(), &kmsapi.DeleteAliasRequest{AliasName: ptr("alias/w")}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Poll(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := b.svc.Encrypt(ctx, caller(), enc); kindOf(err) != KindNotFound {
		t.Fatalf("Encrypt through a deleted alias on node b: got %v, want NotFound", err)
	}
	// A second poll finds nothing new.
	if n, err := w.Poll(ctx); err != nil || n != 0 {
		t.Fatalf("second Poll: %d, %v; want 0", n, err)
	}
}

// callOp runs the KMS operation name as internal/api does, through Call,
// which checks the request against the model first.
func callOp(t testing.TB, s *Service, c *Caller, name string, in kmsapi.Input) (kmsapi.Output, error) {
	t.Helper()
	op := Lookup(APIKMS, name)
	if op == nil {
		t.Fatalf("no operation %s", name)
	}
	return s.Call(t.Context(), c, op, in)
}
