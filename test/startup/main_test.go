// Package startup_test starts the real trent binary on data directories
// in the states a start must recognise (README, First start, Regions,
// Recovery): a completed installation whose database is missing, empty or
// another's; an interrupted first start; remembered regions; permissions;
// a full disk; and the break-glass credentials command.
package startup_test

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/google/go-cmp/cmp"

	"github.com/trentkms/trent/test/harness"
)

func TestMain(m *testing.M) { harness.Main(m) }

const (
	region  = "us-east-1"
	account = "111122223333"
)

// snapshot is every entry of a data directory: its mode and, for a
// regular file, the SHA-256 of its content.
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	m := map[string]string{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		v := fi.Mode().String()
		if fi.Mode().IsRegular() {
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			sum := sha256.Sum256(b)
			v += " " + hex.EncodeToString(sum[:])
		}
		m[rel] = v
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// refused starts a server that must refuse to start: it checks that the
// process exits non-zero before it is ready, saying `trent: error:` and
// every string of want, and that the data directory is exactly as before.
// It returns the error output.
func refused(t *testing.T, opts harness.Options, want ...string) string {
	t.Helper()
	before := snapshot(t, opts.DataDir)
	s, err := harness.StartErr(t, opts)
	var se *harness.StartError
	switch {
	case err == nil:
		s.Stop(t)
		t.Fatalf("the server started; want it to refuse (%s)", strings.Join(want, "; "))
	case !errors.As(err, &se):
		t.Fatalf("start: %v, want an exit before ready", err)
	}
	if se.ExitCode == 0 {
		t.Errorf("exit code 0, want non-zero")
	}
	for _, w := range append([]string{"trent: error: "}, want...) {
		if !strings.Contains(se.Stderr, w) {
			t.Errorf("stderr lacks %q:\n%s", w, se.Stderr)
		}
	}
	if diff := cmp.Diff(before, snapshot(t, opts.DataDir)); diff != "" {
		t.Errorf("the refused start changed the data directory (-before +after):\n%s", diff)
	}
	return se.Stderr
}

func createKey(t *testing.T, c *kms.Client) string {
	t.Helper()
	out, err := c.CreateKey(t.Context(), &kms.CreateKeyInput{})
	if err != nil {
		t.Fatalf("CreateKey: %v", err)
	}
	return aws.ToString(out.KeyMetadata.KeyId)
}

func describe(t *testing.T, c *kms.Client, id string) {
	t.Helper()
	if _, err := c.DescribeKey(t.Context(), &kms.DescribeKeyInput{KeyId: aws.String(id)}); err != nil {
		t.Fatalf("DescribeKey(%s): %v", id, err)
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	if err := os.WriteFile(to, []byte(readFile(t, from)), 0o600); err != nil {
		t.Fatal(err)
	}
}

// markerID returns the installation ID in a data directory's marker.
func markerID(t *testing.T, dir string) string {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(readFile(t, filepath.Join(dir, "installation"))), "\n")
	if len(lines) != 2 || lines[0] != "trent-installation-v1" {
		t.Fatalf("marker file: %q", lines)
	}
	return lines[1]
}
