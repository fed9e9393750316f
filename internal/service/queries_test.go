package service

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"sync/atomic"
	"testing"

	"github.com/trentkms/trent/internal/keyring"
	"github.com/trentkms/trent/internal/kmsapi"
	"github.com/trentkms/trent/internal/store"
	"github.com/trentkms/trent/internal/store/postgres"
	"github.com/trentkms/trent/internal/store/sqlstore"
)

// countingStore counts every call the service makes to its store.
type countingStore struct {
	Store
	calls atomic.Int64
}

func (c *countingStore) Key(ctx context.Context, ref store.KeyRef) (store.Key, error) {
	c.calls.Add(1)
	return c.Store.Key(ctx, ref)
}

func (c *countingStore) KeyMaterials(ctx context.Context, ref store.KeyRef) ([]store.KeyMaterial, error) {
	c.calls.Add(1)
	return c.Store.KeyMaterials(ctx, ref)
}

func (c *countingStore) Alias(ctx context.Context, account, region, name string) (store.Alias, error) {
	c.calls.Add(1)
	return c.Store.Alias(ctx, account, region, name)
}

// TestCryptoPathReadsNoStore checks DESIGN section 4's rule: once a key is
// cached, Encrypt, Decrypt, GenerateDataKey and ReEncrypt issue no store
// query for keys, aliases or material, on SQLite and on PostgreSQL.
func TestCryptoPathReadsNoStore(t *testing.T) {
	engines := map[string]func(t *testing.T) *sqlstore.DB{
		"sqlite": func(t *testing.T) *sqlstore.DB { return newNodes(t, 1)[0].store },
	}
	if dsn := os.Getenv("TRENT_TEST_POSTGRES_DSN"); dsn != "" {
		engines["postgres"] = func(t *testing.T) *sqlstore.DB {
			st, err := postgres.Open(t.Context(), freshSchema(t, dsn), postgres.Options{})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { st.Close() })
			return st
		}
	} else if os.Getenv("TRENT_REQUIRE_ALL") == "1" {
		t.Fatal("TRENT_TEST_POSTGRES_DSN is not set and TRENT_REQUIRE_ALL=1")
	}
	for name, open := range engines {
		t.Run(name, func(t *testing.T) {
			ctx := t.Context()
			st := open(t)
			counting := &countingStore{Store: st}
			dk, _ := keyring.NewDomainKey(nil)
			var materialLoads atomic.Int64
			source := MaterialSource(st)
			kr, err := keyring.Open(dk, keyring.Options{Source: func(ctx context.Context, ref keyring.MaterialRef) (keyring.Wrapped, error) {
				materialLoads.Add(1)
				return source(ctx, ref)
			}})
			if err != nil {
				t.Fatal(err)
			}
			defer kr.Close()
			svc := New(Config{Store: counting, Keyring: kr})
			c := &Caller{Account: "111122223333", ARN: "arn:aws:iam::111122223333:root", Region: "us-east-1"}
			out, err := svc.CreateKey(ctx, c, &kmsapi.CreateKeyRequest{})
			if err != nil {
				t.Fatal(err)
			}
			alias := "alias/q-" + out.KeyMetadata.KeyId[:8]
			if _, err := svc.CreateAlias(ctx, c, &kmsapi.CreateAliasRequest{AliasName: &alias, TargetKeyId: &out.KeyMetadata.KeyId}); err != nil {
				t.Fatal(err)
			}
			run := func() {
				enc, err := svc.Encrypt(ctx, c, &kmsapi.EncryptRequest{KeyId: &alias, Plaintext: []byte("hello"), EncryptionContext: map[string]string{"a": "b"}})
				if err != nil {
					t.Fatal(err)
				}
				if _, err := svc.Decrypt(ctx, c, &kmsapi.DecryptRequest{CiphertextBlob: enc.CiphertextBlob, EncryptionContext: map[string]string{"a": "b"}}); err != nil {
					t.Fatal(err)
				}
				if _, err := svc.GenerateDataKey(ctx, c, &kmsapi.GenerateDataKeyRequest{KeyId: &out.KeyMetadata.Arn, NumberOfBytes: ptr(32)}); err != nil {
					t.Fatal(err)
				}
				if _, err := svc.ReEncrypt(ctx, c, &kmsapi.ReEncryptRequest{CiphertextBlob: enc.CiphertextBlob, SourceEncryptionContext: map[string]string{"a": "b"}, DestinationKeyId: &alias}); err != nil {
					t.Fatal(err)
				}
			}
			run() // warm the caches
			before, loadsBefore := counting.calls.Load(), materialLoads.Load()
			const n = 100
			for range n {
				run()
			}
			if got := counting.calls.Load() - before; got != 0 {
				t.Errorf("%d store queries in %d rounds of Encrypt, Decrypt, GenerateDataKey, ReEncrypt; want 0", got, n)
			}
			if got := materialLoads.Load() - loadsBefore; got != 0 {
				t.Errorf("%d material loads in %d rounds; want 0", got, n)
			}
		})
	}
}

// freshSchema creates a schema for the test and returns dsn naming it.
func freshSchema(t *testing.T, dsn string) string {
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var b [6]byte
	rand.Read(b[:])
	schema := "trent_svc_" + hex.EncodeToString(b[:])
	if _, err := db.Exec("CREATE SCHEMA " + schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if db, err := sql.Open("pgx", dsn); err == nil {
			db.Exec("DROP SCHEMA " + schema + " CASCADE")
			db.Close()
		}
	})
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}
