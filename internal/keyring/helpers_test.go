package keyring

import (
	"context"
	"crypto/rand"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
)

// memSource is an in-memory MaterialSource: a real implementation over a
// map, as the store would be, that counts its calls.
type memSource struct {
	mu    sync.Mutex
	m     map[MaterialRef]Wrapped // guarded by mu
	calls atomic.Int64
	// mint, if set, makes material for refs it does not know (used to give
	// every header a flipped byte might name a real key).
	mint *Keyring
}

func newMemSource() *memSource { return &memSource{m: make(map[MaterialRef]Wrapped)} }

func (s *memSource) get(_ context.Context, ref MaterialRef) (Wrapped, error) {
	s.calls.Add(1)
	s.mu.Lock()
	defer s.mu.Unlock()
	if w, ok := s.m[ref]; ok {
		return w, nil
	}
	if s.mint != nil {
		w, err := s.mint.NewSymmetricMaterial(ref)
		if err != nil {
			return nil, err
		}
		s.m[ref] = w
		return w, nil
	}
	return nil, fmt.Errorf("no material %s: %w", ref, ErrMaterialNotFound)
}

func (s *memSource) put(ref MaterialRef, w Wrapped) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.m[ref] = w
}

func testDomainKey(t testing.TB) []byte {
	t.Helper()
	dk, err := NewDomainKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	return dk
}

// newTestKeyring opens a keyring over a fresh memSource and registers
// material for refs.
func newTestKeyring(t testing.TB, opts Options, refs ...MaterialRef) (*Keyring, *memSource) {
	t.Helper()
	return newTestKeyringWithKey(t, testDomainKey(t), opts, refs...)
}

func newTestKeyringWithKey(t testing.TB, dk []byte, opts Options, refs ...MaterialRef) (*Keyring, *memSource) {
	t.Helper()
	src := newMemSource()
	if opts.Source == nil {
		opts.Source = src.get
	}
	k, err := Open(dk, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { k.Close() })
	for _, ref := range refs {
		w, err := k.NewSymmetricMaterial(ref)
		if err != nil {
			t.Fatal(err)
		}
		src.put(ref, w)
	}
	return k, src
}

var testRef = MaterialRef{Account: "111122223333", Region: "us-east-1", KeyID: "1234abcd-12ab-34cd-56ef-1234567890ab", Version: 1}

// refN returns a distinct valid ref for i.
func refN(i int) MaterialRef {
	return MaterialRef{Account: "111122223333", Region: "eu-west-1",
		KeyID: fmt.Sprintf("00000000-0000-4000-8000-%012x", i), Version: 1}
}

func randBytes(t testing.TB, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}
