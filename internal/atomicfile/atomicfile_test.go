package atomicfile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
)

// recorder wraps osOps, logs every call in order and fails the call named
// by failOn.
type recorder struct {
	osOps
	failOn string
	calls  []string
}

var errInjected = errors.New("injected failure")

func (r *recorder) step(name string) error {
	r.calls = append(r.calls, name)
	if r.failOn == name {
		return errInjected
	}
	return nil
}

func (r *recorder) CreateTemp(dir, pattern string) (tempFile, error) {
	if err := r.step("createTemp"); err != nil {
		return nil, err
	}
	f, err := r.osOps.CreateTemp(dir, pattern)
	if err != nil {
		return nil, err
	}
	return &recFile{tempFile: f, r: r}, nil
}

func (r *recorder) Link(o, n string) error {
	if err := r.step("link"); err != nil {
		return err
	}
	return r.osOps.Link(o, n)
}

func (r *recorder) Rename(o, n string) error {
	if err := r.step("rename"); err != nil {
		return err
	}
	return r.osOps.Rename(o, n)
}

func (r *recorder) Remove(n string) error {
	if err := r.step("remove"); err != nil {
		// Still remove, so that the failure is only reported.
		r.osOps.Remove(n)
		return err
	}
	return r.osOps.Remove(n)
}

func (r *recorder) SyncDir(d string) error {
	if err := r.step("syncDir"); err != nil {
		return err
	}
	return r.osOps.SyncDir(d)
}

func (r *recorder) Mkdir(n string, p fs.FileMode) error {
	if err := r.step("mkdir"); err != nil {
		return err
	}
	return r.osOps.Mkdir(n, p)
}

type recFile struct {
	tempFile
	r *recorder
}

func (f *recFile) Write(b []byte) (int, error) {
	if err := f.r.step("write"); err != nil {
		return 0, err
	}
	return f.tempFile.Write(b)
}

func (f *recFile) Chmod(m fs.FileMode) error {
	if err := f.r.step("chmod"); err != nil {
		return err
	}
	return f.tempFile.Chmod(m)
}

func (f *recFile) Sync() error {
	if err := f.r.step("sync"); err != nil {
		return err
	}
	return f.tempFile.Sync()
}

func (f *recFile) Close() error {
	if err := f.r.step("close"); err != nil {
		f.tempFile.Close()
		return err
	}
	return f.tempFile.Close()
}

// entries lists the names in dir.
func entries(t *testing.T, dir string) []string {
	t.Helper()
	des, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, de := range des {
		names = append(names, de.Name())
	}
	return names
}

func checkFile(t *testing.T, path string, want []byte, perm fs.FileMode) {
	t.Helper()
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != string(want) {
		t.Errorf("content of %s = %q, want %q", path, got, want)
	}
	if runtime.GOOS == "windows" {
		return
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != perm {
		t.Errorf("mode of %s = %v, want %v", path, fi.Mode().Perm(), perm)
	}
}

func TestSequence(t *testing.T) {
	tests := []struct {
		name    string
		replace bool
		want    []string
	}{
		{"WriteNew", false, []string{"createTemp", "write", "chmod", "sync", "close", "link", "remove", "syncDir"}},
		{"Write", true, []string{"createTemp", "write", "chmod", "sync", "close", "rename", "syncDir"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "f")
			r := &recorder{}
			if err := write(r, path, []byte("data"), 0o640, tt.replace); err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(r.calls, tt.want) {
				t.Errorf("calls = %v, want %v", r.calls, tt.want)
			}
			checkFile(t, path, []byte("data"), 0o640)
			if got := entries(t, dir); !slices.Equal(got, []string{"f"}) {
				t.Errorf("directory holds %v, want [f]", got)
			}
		})
	}
}

func TestFailureLeavesNoTemp(t *testing.T) {
	steps := map[bool][]string{
		false: {"createTemp", "write", "chmod", "sync", "close", "link", "remove", "syncDir"},
		true:  {"createTemp", "write", "chmod", "sync", "close", "rename", "syncDir"},
	}
	for _, replace := range []bool{false, true} {
		for _, step := range steps[replace] {
			t.Run(fmt.Sprintf("replace=%v/%s", replace, step), func(t *testing.T) {
				dir := t.TempDir()
				path := filepath.Join(dir, "f")
				if replace {
					if err := os.WriteFile(path, []byte("old"), 0o600); err != nil {
						t.Fatal(err)
					}
				}
				r := &recorder{failOn: step}
				err := write(r, path, []byte("new"), 0o600, replace)
				if !errors.Is(err, errInjected) {
					t.Fatalf("err = %v, want the injected failure", err)
				}
				for _, name := range entries(t, dir) {
					if name != "f" {
						t.Errorf("left behind %q", name)
					}
				}
				// Before the file is put in place the destination is untouched.
				putInPlace := slices.Index(steps[replace], "link")
				if replace {
					putInPlace = slices.Index(steps[replace], "rename")
				}
				if slices.Index(steps[replace], step) <= putInPlace {
					if replace {
						checkFile(t, path, []byte("old"), 0o600)
					} else if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
						t.Errorf("destination exists after failed WriteNew: %v", err)
					}
				}
			})
		}
	}
}

func TestWriteNewNeverOverwrites(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "key")
	if err := WriteNew(path, []byte("first"), 0o600); err != nil {
		t.Fatal(err)
	}
	err := WriteNew(path, []byte("second"), 0o644)
	if !errors.Is(err, fs.ErrExist) {
		t.Fatalf("second WriteNew: err = %v, want fs.ErrExist", err)
	}
	checkFile(t, path, []byte("first"), 0o600)
	if got := entries(t, dir); !slices.Equal(got, []string{"key"}) {
		t.Errorf("directory holds %v, want [key]", got)
	}
}

func TestWriteNewConcurrent(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "once")
	const n = 8
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { errs[i] = WriteNew(path, fmt.Appendf(nil, "writer %d", i), 0o600) })
	}
	wg.Wait()
	won := 0
	for _, err := range errs {
		switch {
		case err == nil:
			won++
		case !errors.Is(err, fs.ErrExist):
			t.Errorf("unexpected error %v", err)
		}
	}
	if won != 1 {
		t.Errorf("%d writers succeeded, want 1", won)
	}
	if got := entries(t, dir); !slices.Equal(got, []string{"once"}) {
		t.Errorf("directory holds %v, want [once]", got)
	}
}

func TestWriteReplaces(t *testing.T) {
	tests := []struct {
		name string
		perm fs.FileMode
		data string
	}{
		{"private", 0o600, "secret"},
		{"readable", 0o644, "public"},
		{"empty", 0o600, ""},
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "state")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := Write(path, []byte(tt.data), tt.perm); err != nil {
				t.Fatal(err)
			}
			checkFile(t, path, []byte(tt.data), tt.perm)
			if got := entries(t, dir); !slices.Equal(got, []string{"state"}) {
				t.Errorf("directory holds %v, want [state]", got)
			}
		})
	}
}

func TestWriteMissingDirectory(t *testing.T) {
	path := filepath.Join(t.TempDir(), "missing", "f")
	for name, fn := range map[string]func(string, []byte, fs.FileMode) error{"WriteNew": WriteNew, "Write": Write} {
		if err := fn(path, []byte("x"), 0o600); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("%s into a missing directory: err = %v, want fs.ErrNotExist", name, err)
		}
	}
}

func TestMkdirAll(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "a", "b", "c")
	r := &recorder{}
	if err := mkdirAll(r, dir, 0o700); err != nil {
		t.Fatal(err)
	}
	want := []string{"mkdir", "syncDir", "mkdir", "syncDir", "mkdir", "syncDir"}
	if !slices.Equal(r.calls, want) {
		t.Errorf("calls = %v, want %v", r.calls, want)
	}
	fi, err := os.Stat(dir)
	if err != nil || !fi.IsDir() {
		t.Fatalf("Stat(%s) = %v, %v; want a directory", dir, fi, err)
	}

	// Existing: nothing to do.
	r = &recorder{}
	if err := mkdirAll(r, dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if len(r.calls) != 0 {
		t.Errorf("calls on an existing directory = %v, want none", r.calls)
	}

	// A file in the way.
	file := filepath.Join(root, "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := MkdirAll(filepath.Join(file, "sub"), 0o700); err == nil {
		t.Error("MkdirAll under a regular file succeeded")
	}

	// A failed parent sync is reported.
	r = &recorder{failOn: "syncDir"}
	if err := mkdirAll(r, filepath.Join(root, "x"), 0o700); !errors.Is(err, errInjected) {
		t.Errorf("err = %v, want the injected failure", err)
	}
}

func TestSyncDir(t *testing.T) {
	if err := SyncDir(t.TempDir()); err != nil {
		t.Error(err)
	}
	if err := SyncDir(filepath.Join(t.TempDir(), "missing")); err == nil && runtime.GOOS != "windows" {
		t.Error("SyncDir of a missing directory succeeded")
	}
}

func TestTempNameHidden(t *testing.T) {
	// The temporary file is a dot-file next to the destination, so that a
	// directory listing by other tools skips it.
	dir := t.TempDir()
	r := &recorder{failOn: "link"}
	var seen string
	r2 := &nameSpy{recorder: r, seen: &seen}
	_ = write(r2, filepath.Join(dir, "name"), nil, 0o600, false)
	if !strings.HasPrefix(filepath.Base(seen), ".name.tmp") {
		t.Errorf("temporary name %q, want prefix .name.tmp", seen)
	}
}

type nameSpy struct {
	*recorder
	seen *string
}

func (s *nameSpy) CreateTemp(dir, pattern string) (tempFile, error) {
	f, err := s.recorder.CreateTemp(dir, pattern)
	if err == nil {
		*s.seen = f.Name()
	}
	return f, err
}
