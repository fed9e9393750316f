package e2e_test

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/google/go-cmp/cmp"

	"github.com/trentkms/trent/test/harness"
)

// state is everything a client of one account and region can see.
type state struct {
	Keys    map[string]*types.KeyMetadata
	Tags    map[string][]types.Tag
	Aliases []types.AliasListEntry
}

func capture(t *testing.T, c *kms.Client) state {
	t.Helper()
	st := state{Keys: map[string]*types.KeyMetadata{}, Tags: map[string][]types.Tag{}}
	for _, id := range keyIDs(t, c) {
		st.Keys[id] = describe(t, c, id)
		st.Tags[id] = listTags(t, c, id, 0)
	}
	st.Aliases = listAliases(t, c, "", 0)
	return st
}

// populate makes keys in several states with descriptions, tags and
// aliases, including updates and deletions.
func populate(t *testing.T, c *kms.Client) {
	t.Helper()
	ctx := t.Context()
	a := aws.ToString(createKey(t, c, &kms.CreateKeyInput{Description: aws.String("first"), Tags: tagList("env", "prod", "gone", "x")}).KeyId)
	b := aws.ToString(createKey(t, c, &kms.CreateKeyInput{MultiRegion: aws.Bool(true)}).KeyId)
	p := aws.ToString(createKey(t, c, &kms.CreateKeyInput{Origin: types.OriginTypeExternal}).KeyId)
	createAlias(t, c, "alias/a", a)
	createAlias(t, c, "alias/moved", a)
	createAlias(t, c, "alias/deleted", b)
	createAlias(t, c, "alias/p", p)
	check := func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("populate: %v", err)
		}
	}
	check(c.DisableKey(ctx, &kms.DisableKeyInput{KeyId: aws.String(b)}))
	check(c.UpdateKeyDescription(ctx, &kms.UpdateKeyDescriptionInput{KeyId: aws.String(a), Description: aws.String("updated")}))
	check(c.UpdateAlias(ctx, &kms.UpdateAliasInput{AliasName: aws.String("alias/moved"), TargetKeyId: aws.String(b)}))
	check(c.DeleteAlias(ctx, &kms.DeleteAliasInput{AliasName: aws.String("alias/deleted")}))
	check(c.UntagResource(ctx, &kms.UntagResourceInput{KeyId: aws.String(a), TagKeys: []string{"gone"}}))
	check(c.TagResource(ctx, &kms.TagResourceInput{KeyId: aws.String(b), Tags: tagList("b", "1")}))
}

func TestPersistence(t *testing.T) {
	each(t, harness.Options{}, func(t *testing.T, e *env) {
		populate(t, e.kms)
		want := capture(t, e.kms)
		if len(want.Keys) != 3 || len(want.Aliases) != 3 {
			t.Fatalf("populated %d keys and %d aliases, want 3 and 3", len(want.Keys), len(want.Aliases))
		}
		for _, how := range []string{"SIGTERM", "SIGKILL"} {
			if how == "SIGKILL" {
				// Acknowledged just before the kill.
				id := aws.ToString(createKey(t, e.s.KMS(t, region), nil).KeyId)
				want.Keys[id] = describe(t, e.s.KMS(t, region), id)
				want.Tags[id] = []types.Tag{}
				e.s.Kill9()
			}
			e.s.Restart(t)
			got := capture(t, e.s.KMS(t, region))
			if diff := cmp.Diff(want, got, cmpOpts, sortTags); diff != "" {
				t.Errorf("after %s and restart, state differs (-before +after):\n%s", how, diff)
			}
		}
	})
}

func TestSIGTERMUnderLoad(t *testing.T) {
	each(t, harness.Options{}, func(t *testing.T, e *env) {
		c := e.kms
		var (
			mu    sync.Mutex
			acked []string
			wg    sync.WaitGroup
		)
		started := make(chan struct{}, 8)
		for range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; i < 200; i++ {
					out, err := c.CreateKey(t.Context(), &kms.CreateKeyInput{})
					if err != nil {
						return
					}
					mu.Lock()
					acked = append(acked, aws.ToString(out.KeyMetadata.KeyId))
					mu.Unlock()
					if i == 0 {
						started <- struct{}{}
					}
				}
			}()
		}
		select {
		case <-started:
		case <-time.After(30 * time.Second):
			t.Fatalf("no CreateKey succeeded within 30 s")
		}
		time.Sleep(100 * time.Millisecond) // let requests pile up in flight
		e.s.Stop(t)                        // exit code 0 is checked
		wg.Wait()
		e.s.Restart(t)
		c = e.s.KMS(t, region)
		have := map[string]bool{}
		for _, id := range keyIDs(t, c) {
			have[id] = true
		}
		for _, id := range acked {
			if !have[id] {
				t.Errorf("key %s acknowledged before SIGTERM is missing after restart", id)
			}
		}
		t.Logf("%d keys acknowledged before SIGTERM", len(acked))
	})
}

func TestBackupRestore(t *testing.T) {
	harness.SQLiteOnly(t)
	each(t, harness.Options{}, func(t *testing.T, e *env) {
		populate(t, e.kms)
		want := capture(t, e.kms)

		out := filepath.Join(t.TempDir(), "backup.db")
		r := harness.Run(t, "admin", "backup", "--data-dir", e.s.DataDir, "--out", out)
		if r.ExitCode != 0 {
			t.Fatalf("trent admin backup: exit %d\nstdout:\n%s\nstderr:\n%s", r.ExitCode, r.Stdout, r.Stderr)
		}
		after := aws.ToString(createKey(t, e.kms, nil).KeyId) // not in the backup
		if r := harness.Run(t, "admin", "backup", "--data-dir", e.s.DataDir, "--out", out); r.ExitCode == 0 {
			t.Errorf("a second backup over an existing file succeeded")
		}

		dir := t.TempDir()
		copyFile(t, out, filepath.Join(dir, "trent.db"))
		copyFile(t, filepath.Join(e.s.DataDir, "seal.key"), filepath.Join(dir, "seal.key"))
		restored := harness.Start(t, harness.Options{DataDir: dir, TLS: e.tls})
		if diff := cmp.Diff([]string{e.account}, restored.Accounts); diff != "" {
			t.Errorf("restored server's accounts (-want +got):\n%s", diff)
		}
		c := restored.KMSFor(t, e.s.CredentialsFile(), region)
		if diff := cmp.Diff(want, capture(t, c), cmpOpts, sortTags); diff != "" {
			t.Errorf("restored state differs (-backed up +restored):\n%s", diff)
		}
		_, err := c.DescribeKey(t.Context(), &kms.DescribeKeyInput{KeyId: aws.String(after)})
		wantErr(t, err, "NotFoundException", "Key '"+e.keyARN(after)+"' does not exist")
		createKey(t, c, nil) // the restored server takes writes
	})
}

func TestSealMismatchRefusesToStart(t *testing.T) {
	each(t, harness.Options{}, func(t *testing.T, e *env) {
		id := aws.ToString(createKey(t, e.kms, nil).KeyId)
		e.s.Stop(t)
		dir := e.s.DataDir
		seal := filepath.Join(dir, "seal.key")

		other := harness.Start(t, harness.Options{})
		other.Stop(t)
		otherSeal := filepath.Join(other.DataDir, "seal.key")
		garbage := filepath.Join(t.TempDir(), "garbage.key")
		if err := os.WriteFile(garbage, []byte("not a seal file\n"), 0o600); err != nil {
			t.Fatal(err)
		}

		cases := []struct {
			name    string
			args    []string
			prepare func()
			mention string // the stderr must name this file
		}{
			{"another seal file", []string{"--seal-file", otherSeal}, nil, otherSeal},
			{"garbage seal file", []string{"--seal-file", garbage}, nil, garbage},
			{"seal.key missing", nil, func() {
				if err := os.Rename(seal, seal+".away"); err != nil {
					t.Fatal(err)
				}
			}, seal},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				if tc.prepare != nil {
					tc.prepare()
				}
				before := hashDir(t, dir)
				s, err := harness.StartErr(t, harness.Options{DataDir: dir, ExtraArgs: tc.args})
				var se *harness.StartError
				switch {
				case err == nil:
					t.Errorf("server started with %s; want it to refuse", tc.name)
					s.Stop(t)
				case !errors.As(err, &se):
					t.Errorf("start: %v, want an exit before ready", err)
				default:
					if se.ExitCode == 0 {
						t.Errorf("server exited with code 0, want non-zero")
					}
					if !strings.Contains(se.Stderr, "trent: error: ") || !strings.Contains(se.Stderr, tc.mention) {
						t.Errorf("stderr does not say `trent: error: ...` naming %s:\n%s", tc.mention, se.Stderr)
					}
				}
				if diff := cmp.Diff(before, hashDir(t, dir)); diff != "" {
					t.Errorf("the refused start changed the data directory (-before +after):\n%s", diff)
				}
			})
		}
		if _, err := os.Stat(seal); !os.IsNotExist(err) {
			t.Errorf("a refused start created a new %s (stat: %v)", seal, err)
		}
		if err := os.Rename(seal+".away", seal); err != nil {
			t.Fatal(err)
		}
		e.s.Restart(t)
		describe(t, e.s.KMS(t, region), id)
	})
}

// hashDir returns the SHA-256 of every regular file in dir, by name.
func hashDir(t *testing.T, dir string) map[string]string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]string{}
	for _, ent := range ents {
		if !ent.Type().IsRegular() {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, ent.Name()))
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(b)
		m[ent.Name()] = hex.EncodeToString(sum[:])
	}
	return m
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o600); err != nil {
		t.Fatal(err)
	}
}
