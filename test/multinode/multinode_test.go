// Package multinode_test runs several trent processes on one PostgreSQL
// database: keys made through one node are served by the others, and a
// change made through one node is honoured by the others within the
// propagation bound the README states (the change feed is polled every
// 500 ms). It needs TRENT_TEST_POSTGRES_DSN.
package multinode_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"

	"github.com/trentkms/trent/test/harness"
)

func TestMain(m *testing.M) { harness.Main(m) }

const region = "us-east-1"

// propagationDeadline is generous: the bound the README states is about a
// second; on a loaded CI machine the test waits longer before failing and
// reports the lag it saw.
const propagationDeadline = 10 * time.Second

// startNodes starts n nodes on one fresh schema; the first initialises it.
func startNodes(t *testing.T, n int) []*harness.Server {
	t.Helper()
	dsn := harness.NewPostgresStore(t)
	first := harness.Start(t, harness.Options{ExtraArgs: []string{"--store", dsn}})
	nodes := []*harness.Server{first}
	seal, err := os.ReadFile(filepath.Join(first.DataDir, "seal.key"))
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i < n; i++ {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "seal.key"), seal, 0o600); err != nil {
			t.Fatal(err)
		}
		nodes = append(nodes, harness.Start(t, harness.Options{DataDir: dir, ExtraArgs: []string{"--store", dsn}}))
	}
	return nodes
}

// clients returns a client per node, all with the first node's credentials.
func clients(t *testing.T, nodes []*harness.Server) []*kms.Client {
	var cs []*kms.Client
	for _, n := range nodes {
		cs = append(cs, n.KMSFor(t, nodes[0].CredentialsFile(), region))
	}
	return cs
}

// waitFor polls f until it returns true and returns how long that took.
func waitFor(t *testing.T, what string, f func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	for !f() {
		if time.Since(start) > propagationDeadline {
			t.Fatalf("%s: not seen within %v", what, propagationDeadline)
		}
		time.Sleep(20 * time.Millisecond)
	}
	lag := time.Since(start)
	t.Logf("%s: seen after %v", what, lag.Round(time.Millisecond))
	return lag
}

func TestNodesShareKeys(t *testing.T) {
	ctx := context.Background()
	nodes := startNodes(t, 2)
	c := clients(t, nodes)

	if _, err := os.Stat(filepath.Join(nodes[1].DataDir, "credentials")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the joining node wrote a credentials file (stat: %v)", err)
	}
	if !strings.Contains(nodes[1].Stdout(), "trent: credentials: none") {
		t.Errorf("joining node's start-up output does not say it wrote no credentials:\n%s", nodes[1].Stdout())
	}

	created, err := c[0].CreateKey(ctx, &kms.CreateKeyInput{Description: aws.String("made on node 1")})
	if err != nil {
		t.Fatal(err)
	}
	keyID := aws.ToString(created.KeyMetadata.KeyId)
	desc, err := c[1].DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: &keyID})
	if err != nil {
		t.Fatalf("DescribeKey on node 2: %v", err)
	}
	if got := aws.ToString(desc.KeyMetadata.Description); got != "made on node 1" {
		t.Errorf("node 2 describes the key as %q", got)
	}
	if _, err := c[0].CreateAlias(ctx, &kms.CreateAliasInput{AliasName: aws.String("alias/shared"), TargetKeyId: &keyID}); err != nil {
		t.Fatal(err)
	}
	enc, err := c[1].Encrypt(ctx, &kms.EncryptInput{KeyId: aws.String("alias/shared"), Plaintext: []byte("across nodes")})
	if err != nil {
		t.Fatalf("Encrypt on node 2 through an alias made on node 1: %v", err)
	}
	dec, err := c[0].Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: enc.CiphertextBlob})
	if err != nil || string(dec.Plaintext) != "across nodes" {
		t.Fatalf("Decrypt on node 1 of node 2's blob: %q, %v", dec.Plaintext, err)
	}

	// Disable through node 1: node 1 refuses at once, node 2 within the bound.
	if _, err := c[0].DisableKey(ctx, &kms.DisableKeyInput{KeyId: &keyID}); err != nil {
		t.Fatal(err)
	}
	if _, err := c[0].Encrypt(ctx, &kms.EncryptInput{KeyId: &keyID, Plaintext: []byte("x")}); !isDisabled(err) {
		t.Fatalf("Encrypt on node 1 right after DisableKey there: %v, want DisabledException", err)
	}
	waitFor(t, "DisableKey on node 1, at node 2", func() bool {
		_, err := c[1].Encrypt(ctx, &kms.EncryptInput{KeyId: &keyID, Plaintext: []byte("x")})
		return isDisabled(err)
	})
	if _, err := c[1].EnableKey(ctx, &kms.EnableKeyInput{KeyId: &keyID}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "EnableKey on node 2, at node 1", func() bool {
		_, err := c[0].Encrypt(ctx, &kms.EncryptInput{KeyId: &keyID, Plaintext: []byte("x")})
		return err == nil
	})

	// Re-point the alias through node 2: node 1 follows.
	other, err := c[1].CreateKey(ctx, &kms.CreateKeyInput{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c[1].UpdateAlias(ctx, &kms.UpdateAliasInput{AliasName: aws.String("alias/shared"), TargetKeyId: other.KeyMetadata.KeyId}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "UpdateAlias on node 2, at node 1", func() bool {
		out, err := c[0].Encrypt(ctx, &kms.EncryptInput{KeyId: aws.String("alias/shared"), Plaintext: []byte("x")})
		return err == nil && aws.ToString(out.KeyId) == aws.ToString(other.KeyMetadata.Arn)
	})

	// Tags and descriptions written on one node are read on the other at
	// once: management reads go to the database.
	if _, err := c[1].TagResource(ctx, &kms.TagResourceInput{KeyId: &keyID, Tags: []types.Tag{{TagKey: aws.String("k"), TagValue: aws.String("v")}}}); err != nil {
		t.Fatal(err)
	}
	tags, err := c[0].ListResourceTags(ctx, &kms.ListResourceTagsInput{KeyId: &keyID})
	if err != nil || len(tags.Tags) != 1 {
		t.Fatalf("ListResourceTags on node 1 after TagResource on node 2: %+v, %v", tags, err)
	}
}

// TestWrongRootKeyRefused starts a node with another root key file on an
// initialised database: it must refuse, and the other node keeps serving.
func TestWrongRootKeyRefused(t *testing.T) {
	ctx := context.Background()
	nodes := startNodes(t, 1)
	c := clients(t, nodes)
	created, err := c[0].CreateKey(ctx, &kms.CreateKeyInput{})
	if err != nil {
		t.Fatal(err)
	}
	dsn := ""
	for i, a := range nodes[0].Args() {
		if a == "--store" {
			dsn = nodes[0].Args()[i+1]
		}
	}
	other := harness.Start(t, harness.Options{ExtraArgs: []string{"--account-id", "999999999999"}}) // makes its own seal.key
	dir := t.TempDir()
	seal, err := os.ReadFile(filepath.Join(other.DataDir, "seal.key"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "seal.key"), seal, 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = harness.StartErr(t, harness.Options{DataDir: dir, ExtraArgs: []string{"--store", dsn}})
	var se *harness.StartError
	if !errors.As(err, &se) || se.ExitCode == 0 {
		t.Fatalf("node with another root key: %v, want a refused start", err)
	}
	if !strings.Contains(se.Stderr, "does not open this database's domain key") {
		t.Errorf("refusal does not say why:\n%s", se.Stderr)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("the refused node wrote files: %v", entries)
	}
	if _, err := c[0].DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: created.KeyMetadata.KeyId}); err != nil {
		t.Errorf("the first node stopped serving its key: %v", err)
	}
}

func isDisabled(err error) bool {
	var de *types.DisabledException
	return errors.As(err, &de)
}
