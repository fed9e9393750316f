package startup_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/trentkms/trent/test/harness"
)

// smallFS mounts a tmpfs of size bytes (root only: CI runs as root) and
// unmounts it when t ends, after the servers started later have stopped.
func smallFS(t *testing.T, size string) string {
	t.Helper()
	dir := t.TempDir()
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "size="+size+",mode=0700"); err != nil {
		harness.Missing(t, "mount a %s tmpfs (needs root): %v", size, err)
	}
	t.Cleanup(func() {
		if err := syscall.Unmount(dir, 0); err != nil {
			t.Errorf("unmount %s: %v", dir, err)
		}
	})
	return dir
}

// fill writes a file that takes every free byte of dir's file system.
func fill(t *testing.T, dir string) string {
	t.Helper()
	path := filepath.Join(dir, "filler")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 4096)
	for {
		if _, err := f.Write(buf); err != nil {
			if errors.Is(err, syscall.ENOSPC) {
				return path
			}
			t.Fatal(err)
		}
	}
}

// TestFullDiskSaysSo: a start that fails because the data directory's
// file system is full says so (SQLite alone says "database or disk is
// full" on a new database and "disk I/O error" on an existing one), and
// starts once there is room again.
func TestFullDiskSaysSo(t *testing.T) {
	harness.SQLiteOnly(t)
	t.Parallel()
	wantFull := func(t *testing.T, dir string) {
		t.Helper()
		_, err := harness.StartErr(t, harness.Options{DataDir: dir, AccountID: account})
		var se *harness.StartError
		if !errors.As(err, &se) {
			t.Fatalf("start on a full disk: %v, want a refused start", err)
		}
		if !strings.Contains(se.Stderr, "trent: error: the disk is full: the file system of "+dir+" has no room left") {
			t.Errorf("stderr does not say the disk is full:\n%s", se.Stderr)
		}
		t.Logf("refused: %s", se.Stderr)
	}

	t.Run("first start", func(t *testing.T) {
		root := smallFS(t, "1m")
		filler := fill(t, root)
		dir := filepath.Join(root, "data")
		wantFull(t, dir)
		os.Remove(filler)
		s := harness.Start(t, harness.Options{DataDir: dir, AccountID: account})
		createKey(t, s.KMS(t, region))
	})
	t.Run("restart", func(t *testing.T) {
		root := smallFS(t, "2m")
		dir := filepath.Join(root, "data")
		s := harness.Start(t, harness.Options{DataDir: dir, AccountID: account})
		id := createKey(t, s.KMS(t, region))
		s.Stop(t)
		filler := fill(t, root)
		wantFull(t, dir)
		os.Remove(filler)
		s.Restart(t)
		describe(t, s.KMS(t, region), id)
	})
}
