// Package crash_test kills a loaded trent server with SIGKILL, restarts it
// and checks that nothing it acknowledged was lost. It is its own package so
// that CI can run it on its own.
package crash_test

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	_ "modernc.org/sqlite"

	"github.com/trentkms/trent/test/harness"
)

func TestMain(m *testing.M) { harness.Main(m) }

const (
	region  = "us-east-1"
	rounds  = 6
	workers = 8
)

// acked records what the server acknowledged.
type acked struct {
	mu      sync.Mutex
	keys    map[string]int    // key ID -> round
	aliases map[string]string // alias name -> key ID
}

func TestKill9UnderLoad(t *testing.T) {
	s := harness.Start(t, harness.Options{AccountID: "111122223333"})
	a := &acked{keys: map[string]int{}, aliases: map[string]string{}}
	for round := range rounds {
		c := s.KMS(t, region)
		ctx, cancel := context.WithCancel(t.Context())
		var wg sync.WaitGroup
		for w := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				load(ctx, c, a, round, w)
			}()
		}
		delay := 50*time.Millisecond + rand.N(250*time.Millisecond)
		time.Sleep(delay)
		s.Kill9()
		cancel()
		wg.Wait()

		t0 := time.Now()
		s.Restart(t)
		t1 := time.Now()
		verify(t, s.KMS(t, region), a, round)
		a.mu.Lock()
		t.Logf("round %d: SIGKILL after %v; acknowledged so far: %d keys, %d aliases; restart took %v, verify %v", round, delay, len(a.keys), len(a.aliases), t1.Sub(t0).Round(time.Millisecond), time.Since(t1).Round(time.Millisecond))
		a.mu.Unlock()
		if t.Failed() {
			break
		}
	}
	if len(a.keys) == 0 || len(a.aliases) == 0 {
		t.Errorf("the server acknowledged %d keys and %d aliases in %d rounds; the test proved nothing", len(a.keys), len(a.aliases), rounds)
	}

	s.Stop(t)
	checkDatabase(t, filepath.Join(s.DataDir, "trent.db"))
}

// load creates keys, each with an alias, until ctx ends, recording every
// success. Errors (the server is being killed) are expected.
func load(ctx context.Context, c *kms.Client, a *acked, round, worker int) {
	for i := 0; ctx.Err() == nil; i++ {
		out, err := c.CreateKey(ctx, &kms.CreateKeyInput{Description: aws.String(fmt.Sprintf("round %d worker %d #%d", round, worker, i))})
		if err != nil {
			time.Sleep(time.Millisecond)
			continue
		}
		id := aws.ToString(out.KeyMetadata.KeyId)
		a.mu.Lock()
		a.keys[id] = round
		a.mu.Unlock()
		name := fmt.Sprintf("alias/crash-r%d-w%d-%d", round, worker, i)
		if _, err := c.CreateAlias(ctx, &kms.CreateAliasInput{AliasName: aws.String(name), TargetKeyId: aws.String(id)}); err == nil {
			a.mu.Lock()
			a.aliases[name] = id
			a.mu.Unlock()
		}
	}
}

// verify checks that every acknowledged key and alias exists: the keys of
// this round one by one with DescribeKey, all keys through ListKeys, all
// aliases through ListAliases; and that no alias points at a missing key.
func verify(t *testing.T, c *kms.Client, a *acked, round int) {
	t.Helper()
	a.mu.Lock()
	defer a.mu.Unlock()

	var fresh []string
	for id, r := range a.keys {
		if r == round {
			fresh = append(fresh, id)
		}
	}
	var wg sync.WaitGroup
	errs := make(chan error, len(fresh))
	sem := make(chan struct{}, workers)
	for _, id := range fresh {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			out, err := c.DescribeKey(t.Context(), &kms.DescribeKeyInput{KeyId: aws.String(id)})
			if err != nil {
				errs <- fmt.Errorf("acknowledged key %s: DescribeKey: %w", id, err)
			} else if out.KeyMetadata.KeyState != "Enabled" {
				errs <- fmt.Errorf("acknowledged key %s: KeyState %s, want Enabled", id, out.KeyMetadata.KeyState)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}

	have := map[string]bool{}
	pk := kms.NewListKeysPaginator(c, &kms.ListKeysInput{Limit: aws.Int32(1000)})
	for pk.HasMorePages() {
		out, err := pk.NextPage(t.Context())
		if err != nil {
			t.Fatalf("ListKeys: %v", err)
		}
		for _, k := range out.Keys {
			have[aws.ToString(k.KeyId)] = true
		}
	}
	for id, r := range a.keys {
		if !have[id] {
			t.Errorf("key %s acknowledged in round %d is missing from ListKeys", id, r)
		}
	}

	aliases := map[string]string{}
	pa := kms.NewListAliasesPaginator(c, &kms.ListAliasesInput{Limit: aws.Int32(100)})
	for pa.HasMorePages() {
		out, err := pa.NextPage(t.Context())
		if err != nil {
			t.Fatalf("ListAliases: %v", err)
		}
		for _, al := range out.Aliases {
			aliases[aws.ToString(al.AliasName)] = aws.ToString(al.TargetKeyId)
		}
	}
	for name, id := range a.aliases {
		switch got, ok := aliases[name]; {
		case !ok:
			t.Errorf("acknowledged alias %s is missing", name)
		case got != id:
			t.Errorf("alias %s -> %s, want %s", name, got, id)
		}
	}
	for name, id := range aliases {
		if !have[id] {
			t.Errorf("alias %s points at key %s, which ListKeys does not have", name, id)
		}
	}
}

// checkDatabase opens the stopped server's SQLite file and checks that it
// is in WAL mode and intact.
func checkDatabase(t *testing.T, path string) {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	defer db.Close()
	for _, q := range []struct{ pragma, want string }{
		{"journal_mode", "wal"},
		{"integrity_check", "ok"},
	} {
		var got string
		if err := db.QueryRowContext(t.Context(), "PRAGMA "+q.pragma).Scan(&got); err != nil {
			t.Errorf("PRAGMA %s: %v", q.pragma, err)
			continue
		}
		if got != q.want {
			t.Errorf("PRAGMA %s = %q, want %q", q.pragma, got, q.want)
		}
	}
}
