package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

func TestShellQuote(t *testing.T) {
	tests := []struct {
		in   []string
		want string
	}{
		{[]string{"/var/lib/trent", "./trent-data/trent.db"}, "/var/lib/trent ./trent-data/trent.db"},
		{[]string{"/tmp/my data"}, "'/tmp/my data'"},
		{[]string{"it's"}, `'it'\''s'`},
		{[]string{"$HOME;rm"}, "'$HOME;rm'"},
	}
	for _, tt := range tests {
		if got := shellQuote(tt.in); got != tt.want {
			t.Errorf("shellQuote(%q) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

func TestExplainDiskFull(t *testing.T) {
	dir := t.TempDir()
	full := &fs.PathError{Op: "atomicfile.WriteNew", Path: "x", Err: fmt.Errorf("write temporary file: %w", syscall.ENOSPC)}
	if err := explainDiskFull(fmt.Errorf("root key file: %w", full), dir); !strings.HasPrefix(err.Error(), "the disk is full: the file system of "+dir) ||
		!errors.Is(err, syscall.ENOSPC) {
		t.Errorf("ENOSPC in the chain: %v", err)
	}
	other := errors.New("disk I/O error")
	if err := explainDiskFull(other, dir); err != other {
		t.Errorf("an unrelated error came back as %v", err)
	}
	if explainDiskFull(nil, dir) != nil {
		t.Errorf("nil became an error")
	}
	// A data directory not made yet: its parent's file system.
	if err := explainDiskFull(full, filepath.Join(dir, "new")); !strings.Contains(err.Error(), "bytes free") {
		t.Errorf("no free space reported for a directory not made yet: %v", err)
	}
}

func TestCheckPermissionsMissingDirectory(t *testing.T) {
	w, err := checkPermissions(filepath.Join(t.TempDir(), "none"))
	if err != nil || w != nil {
		t.Fatalf("a data directory not made yet: %v, %v", w, err)
	}
	f := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(f, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := checkPermissions(f); err == nil {
		t.Fatal("a file as the data directory passed")
	}
}
