package keyring

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// cached returns the cached material for ref, or nil.
func cached(k *Keyring, ref MaterialRef) *material {
	s := k.cache.shard(ref)
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.items[ref]
}

func mustAcquire(t *testing.T, k *Keyring, ref MaterialRef) *material {
	t.Helper()
	m, err := k.acquire(t.Context(), ref)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestCacheEvictionZeroes(t *testing.T) {
	refs := []MaterialRef{refN(0), refN(1), refN(2)}
	k, src := newTestKeyring(t, Options{CacheSize: 2}, refs...)
	m0 := mustAcquire(t, k, refs[0])
	m0.release()
	m1 := mustAcquire(t, k, refs[1])
	m1.release()
	if m0.key.isZero() || m1.key.isZero() {
		t.Fatal("cached material is zero")
	}
	m2 := mustAcquire(t, k, refs[2])
	m2.release()
	if n := k.cache.len(); n != 2 {
		t.Errorf("cache holds %d, want 2", n)
	}
	evicted := 0
	for _, m := range []*material{m0, m1} {
		if cached(k, m.ref) == nil {
			evicted++
			if !m.key.isZero() {
				t.Errorf("evicted material %v was not zeroed", m.ref)
			}
			if m.mac != nil || m.spare.Load() != nil {
				t.Errorf("evicted material %v keeps its HMAC state", m.ref)
			}
		} else if m.key.isZero() {
			t.Errorf("cached material %v was zeroed", m.ref)
		}
	}
	if evicted != 1 {
		t.Errorf("%d materials evicted, want 1", evicted)
	}
	if got := src.calls.Load(); got != 3 {
		t.Errorf("source called %d times, want 3", got)
	}
}

// TestCacheSecondChance: a material used since the hand last passed
// survives the next eviction.
func TestCacheSecondChance(t *testing.T) {
	refs := []MaterialRef{refN(0), refN(1), refN(2)}
	k, _ := newTestKeyring(t, Options{CacheSize: 2}, refs...)
	for _, r := range refs[:2] {
		mustAcquire(t, k, r).release() // load
	}
	mustAcquire(t, k, refs[0]).release() // hit: refs[0] is used
	mustAcquire(t, k, refs[2]).release() // evicts refs[1]
	if cached(k, refs[0]) == nil || cached(k, refs[1]) != nil || cached(k, refs[2]) == nil {
		t.Errorf("after eviction: %v %v %v cached, want true false true",
			cached(k, refs[0]) != nil, cached(k, refs[1]) != nil, cached(k, refs[2]) != nil)
	}
}

func TestEvictionWaitsForUsers(t *testing.T) {
	refs := []MaterialRef{refN(0), refN(1)}
	k, _ := newTestKeyring(t, Options{CacheSize: 1}, refs...)
	held := mustAcquire(t, k, refs[0])
	mustAcquire(t, k, refs[1]).release() // evicts refs[0] while held
	if cached(k, refs[0]) != nil {
		t.Fatal("refs[0] still cached")
	}
	if held.key.isZero() {
		t.Fatal("material zeroed while in use")
	}
	// Still usable by its holder.
	if _, err := k.seal(held, []byte("x"), nil); err != nil {
		t.Fatal(err)
	}
	held.release()
	if !held.key.isZero() {
		t.Error("material not zeroed after its last user released it")
	}
}

func TestForget(t *testing.T) {
	k, src := newTestKeyring(t, Options{}, testRef)
	held := mustAcquire(t, k, testRef)
	k.Forget(testRef)
	if cached(k, testRef) != nil {
		t.Error("Forget left the material cached")
	}
	if held.key.isZero() {
		t.Error("Forget zeroed material in use")
	}
	held.release()
	if !held.key.isZero() {
		t.Error("forgotten material not zeroed after release")
	}
	k.Forget(testRef) // uncached: no-op
	k.Forget(refN(5))
	mustAcquire(t, k, testRef).release()
	if got := src.calls.Load(); got != 2 {
		t.Errorf("source called %d times, want 2 (reload after Forget)", got)
	}
}

// blockingSource lets a test hold loads open.
type blockingSource struct {
	*memSource
	entered chan struct{}
	release chan struct{}
	calls   atomic.Int64
}

func newBlockingSource(inner *memSource) *blockingSource {
	return &blockingSource{memSource: inner, entered: make(chan struct{}, 100), release: make(chan struct{})}
}

func (b *blockingSource) get(ctx context.Context, ref MaterialRef) (Wrapped, error) {
	b.calls.Add(1)
	b.entered <- struct{}{}
	select {
	case <-b.release:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	return b.memSource.get(ctx, ref)
}

func TestForgetDuringLoad(t *testing.T) {
	inner := newMemSource()
	bs := newBlockingSource(inner)
	k, _ := newTestKeyring(t, Options{Source: bs.get})
	w, _ := k.NewSymmetricMaterial(testRef)
	inner.put(testRef, w)

	done := make(chan error)
	go func() {
		_, err := k.Encrypt(context.Background(), testRef, []byte("x"), nil)
		done <- err
	}()
	<-bs.entered
	k.Forget(testRef)
	close(bs.release)
	if err := <-done; err != nil {
		t.Fatalf("Encrypt during Forget: %v", err)
	}
	if cached(k, testRef) != nil {
		t.Error("material loaded during Forget was cached")
	}
}

func TestSingleFlight(t *testing.T) {
	inner := newMemSource()
	bs := newBlockingSource(inner)
	k, _ := newTestKeyring(t, Options{Source: bs.get})
	w, _ := k.NewSymmetricMaterial(testRef)
	inner.put(testRef, w)

	const n = 16
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for range n {
		wg.Go(func() {
			_, err := k.Encrypt(context.Background(), testRef, []byte("x"), nil)
			errs <- err
		})
	}
	<-bs.entered
	time.Sleep(20 * time.Millisecond) // let the others queue behind the load
	close(bs.release)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	if got := bs.calls.Load(); got != 1 {
		t.Errorf("source called %d times for %d concurrent misses, want 1", got, n)
	}
}

func TestLeaderCancelled(t *testing.T) {
	inner := newMemSource()
	bs := newBlockingSource(inner)
	k, _ := newTestKeyring(t, Options{Source: bs.get})
	w, _ := k.NewSymmetricMaterial(testRef)
	inner.put(testRef, w)

	leaderCtx, cancel := context.WithCancel(context.Background())
	leaderErr := make(chan error)
	go func() {
		_, err := k.Encrypt(leaderCtx, testRef, []byte("x"), nil)
		leaderErr <- err
	}()
	<-bs.entered
	waiterErr := make(chan error)
	go func() {
		_, err := k.Encrypt(context.Background(), testRef, []byte("x"), nil)
		waiterErr <- err
	}()
	time.Sleep(20 * time.Millisecond)
	cancel()
	if err := <-leaderErr; !errors.Is(err, context.Canceled) {
		t.Errorf("leader: err = %v, want context.Canceled", err)
	}
	<-bs.entered // the waiter loads itself
	close(bs.release)
	if err := <-waiterErr; err != nil {
		t.Errorf("waiter: %v", err)
	}
}

func TestPanickingSource(t *testing.T) {
	inner := newMemSource()
	var panics atomic.Bool
	panics.Store(true)
	src := func(ctx context.Context, ref MaterialRef) (Wrapped, error) {
		if panics.Load() {
			panic("source bug")
		}
		return inner.get(ctx, ref)
	}
	k, _ := newTestKeyring(t, Options{Source: src})
	w, _ := k.NewSymmetricMaterial(testRef)
	inner.put(testRef, w)
	func() {
		defer func() {
			if recover() == nil {
				t.Error("panic did not propagate")
			}
		}()
		k.Encrypt(t.Context(), testRef, nil, nil)
	}()
	panics.Store(false)
	if _, err := k.Encrypt(t.Context(), testRef, nil, nil); err != nil {
		t.Errorf("Encrypt after a panicked load: %v", err)
	}
}

func TestCacheSharding(t *testing.T) {
	k, _ := newTestKeyring(t, Options{})
	if n := len(k.cache.shards); n != 16 {
		t.Errorf("%d shards, want 16", n)
	}
	total := 0
	for i := range k.cache.shards {
		total += k.cache.shards[i].max
	}
	if total < DefaultCacheSize || total > DefaultCacheSize+16 {
		t.Errorf("total capacity %d, want about %d", total, DefaultCacheSize)
	}
	used := map[*shard]bool{}
	for i := range 200 {
		used[k.cache.shard(refN(i))] = true
	}
	if len(used) < 12 {
		t.Errorf("200 refs landed in %d shards", len(used))
	}
}

func TestHotPathAllocations(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector changes allocation counts")
	}
	k, _ := newTestKeyring(t, Options{}, testRef)
	ctx := context.Background()
	ec := map[string]string{"purpose": "alloc", "tenant": "t"}
	pt := make([]byte, 1024)
	blob, err := k.Encrypt(ctx, testRef, pt, ec)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		max  float64
		fn   func()
	}{
		{"cache hit", 0, func() {
			m, _ := k.cache.get(ctx, testRef)
			m.release()
		}},
		// The blob, the AES block and the GCM state.
		{"Encrypt", 3, func() { k.Encrypt(ctx, testRef, pt, ec) }},
		// The header strings, the plaintext, the AES block and GCM state.
		{"Decrypt", 4, func() { k.Decrypt(ctx, blob, ec) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := testing.AllocsPerRun(200, tt.fn); got > tt.max {
				t.Errorf("%v allocations per run, want at most %v", got, tt.max)
			}
		})
	}
}

// TestConcurrentUse runs every operation from many goroutines over a cache
// too small for the working set, so that loads, hits, evictions and
// forgets interleave. Run it with -race.
func TestConcurrentUse(t *testing.T) {
	const nRefs = 8
	refs := make([]MaterialRef, nRefs)
	for i := range refs {
		refs[i] = refN(i)
	}
	k, _ := newTestKeyring(t, Options{CacheSize: 3}, refs...)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			r := rand.New(rand.NewPCG(uint64(g), 1))
			ctx := context.Background()
			for i := range 150 {
				ref := refs[r.IntN(nRefs)]
				ec := map[string]string{"g": fmt.Sprint(g), "i": fmt.Sprint(i)}
				pt := []byte(fmt.Sprintf("goroutine %d message %d", g, i))
				blob, err := k.Encrypt(ctx, ref, pt, ec)
				if err != nil {
					t.Error(err)
					return
				}
				switch r.IntN(4) {
				case 0:
					k.Forget(refs[r.IntN(nRefs)])
				case 1:
					dst := refs[r.IntN(nRefs)]
					_, blob, err = k.ReEncrypt(ctx, blob, ec, dst, ec)
					if err != nil {
						t.Error(err)
						return
					}
				}
				_, got, err := k.Decrypt(ctx, blob, ec)
				if err != nil || !bytes.Equal(got, pt) {
					t.Errorf("round trip: %q, %v", got, err)
					return
				}
			}
		})
	}
	wg.Wait()
	if n := k.cache.len(); n > 3 {
		t.Errorf("cache holds %d, more than its size 3", n)
	}
}

func TestCloseDuringUse(t *testing.T) {
	refs := []MaterialRef{refN(0), refN(1), refN(2)}
	k, _ := newTestKeyring(t, Options{CacheSize: 2}, refs...)
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for g := range 4 {
		wg.Go(func() {
			ctx := context.Background()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				pt := []byte{byte(g), byte(i)}
				blob, err := k.Encrypt(ctx, refs[i%len(refs)], pt, nil)
				if errors.Is(err, ErrClosed) {
					return
				}
				if err != nil {
					t.Error(err)
					return
				}
				_, got, err := k.Decrypt(ctx, blob, nil)
				if errors.Is(err, ErrClosed) {
					return
				}
				if err != nil || !bytes.Equal(got, pt) {
					t.Errorf("round trip: %x, %v", got, err)
					return
				}
			}
		})
	}
	time.Sleep(10 * time.Millisecond)
	k.Close()
	close(stop)
	wg.Wait()
	if n := k.cache.len(); n != 0 {
		t.Errorf("closed cache holds %d", n)
	}
}

// TestCacheStats counts hits, misses, loads and evictions as a caller
// sees them: the first use of a key is a miss and a load, the next a hit,
// and a third key in a cache of two evicts one.
func TestCacheStats(t *testing.T) {
	refs := []MaterialRef{refN(0), refN(1), refN(2)}
	k, _ := newTestKeyring(t, Options{CacheSize: 2}, refs...)
	steps := []struct {
		ref  MaterialRef
		want CacheStats
	}{
		{refs[0], CacheStats{Misses: 1, Loads: 1, Entries: 1}},
		{refs[0], CacheStats{Hits: 1, Misses: 1, Loads: 1, Entries: 1}},
		{refs[1], CacheStats{Hits: 1, Misses: 2, Loads: 2, Entries: 2}},
		{refs[2], CacheStats{Hits: 1, Misses: 3, Loads: 3, Evictions: 1, Entries: 2}},
	}
	for i, st := range steps {
		mustAcquire(t, k, st.ref).release()
		got := k.Stats()
		if got.Bytes <= 0 {
			t.Errorf("step %d: Bytes %d, want > 0", i, got.Bytes)
		}
		got.Bytes = 0
		if got != st.want {
			t.Errorf("step %d: Stats() = %+v, want %+v", i, got, st.want)
		}
	}
}
