package startup_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/trentkms/trent/test/harness"
)

func chmod(t *testing.T, path string, mode os.FileMode) {
	t.Helper()
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
}

// TestWritableByOthersRefused: a data directory, or a file in it, that
// any user may write is refused with the chmod that fixes it, and nothing
// is written; group write access (a Kubernetes volume with fsGroup) is
// warned about and served.
func TestWritableByOthersRefused(t *testing.T) {
	t.Parallel()
	s := harness.Start(t, harness.Options{AccountID: account})
	id := createKey(t, s.KMS(t, region))
	s.Stop(t)
	dir := s.DataDir
	cred := filepath.Join(dir, "credentials")

	t.Run("directory", func(t *testing.T) {
		chmod(t, dir, 0o777)
		defer chmod(t, dir, 0o700)
		refused(t, harness.Options{DataDir: dir}, "can be written by any user", "chmod o-w "+dir)
	})
	t.Run("file", func(t *testing.T) {
		chmod(t, cred, 0o602)
		defer chmod(t, cred, 0o600)
		refused(t, harness.Options{DataDir: dir}, "can be written by any user ("+cred+")", "chmod o-w "+cred)
	})
	t.Run("new data directory", func(t *testing.T) {
		fresh := filepath.Join(t.TempDir(), "fresh")
		if err := os.Mkdir(fresh, 0o700); err != nil {
			t.Fatal(err)
		}
		chmod(t, fresh, 0o1777)
		refused(t, harness.Options{DataDir: fresh}, "chmod o-w "+fresh)
	})
	t.Run("group-writable is served with a warning", func(t *testing.T) {
		chmod(t, dir, 0o770)
		chmod(t, cred, 0o660)
		defer chmod(t, dir, 0o700)
		defer chmod(t, cred, 0o600)
		s := harness.Start(t, harness.Options{DataDir: dir})
		defer s.Stop(t)
		log := s.Stderr()
		for _, w := range []string{"level=WARN", "can be written by their group", "fsGroup", "chmod g-w " + dir + " " + cred} {
			if !strings.Contains(log, w) {
				t.Errorf("log lacks %q:\n%s", w, log)
			}
		}
		describe(t, s.KMS(t, region), id)
	})
}
