// Package atomicfile writes files so that a crash leaves either the old
// state or the new one, never a torn file.
//
// Every write follows one sequence:
//
//  1. create a temporary file in the destination's directory
//     (".<name>.tmp<random>"), so that step 4 never crosses file systems;
//  2. write the data, set the permission bits, fsync the file, close it;
//  3. put it in place: WriteNew hard-links it to the destination (which fails
//     if the destination exists) and removes the temporary name; Write
//     renames it over the destination;
//  4. fsync the directory, so that the new directory entry is durable.
//
// Only when all steps succeed does the function return nil. A failure before
// step 3 removes the temporary file and leaves the destination untouched. A
// failure after it (the directory fsync, or removing the temporary name
// after the link) is reported although the destination already holds the
// new content: the caller must treat the write as not durable.
//
// The functions are safe for concurrent use on different paths. Two
// concurrent WriteNew calls on one path: exactly one succeeds.
package atomicfile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
)

// WriteNew creates the file path holding data with permission bits perm
// (applied exactly, not filtered by the umask), durably and atomically, and
// never replaces an existing file: if path exists it returns an error
// wrapping [fs.ErrExist] and leaves the existing file alone.
//
// The directory of path must exist (see [MkdirAll]). WriteNew relies on hard
// links, which every POSIX local file system supports.
func WriteNew(path string, data []byte, perm fs.FileMode) error {
	return write(osOps{}, path, data, perm, false)
}

// Write creates or replaces the file path with data and permission bits perm
// (applied exactly), durably and atomically: a reader sees either the old
// content or the new, never a mix. The directory of path must exist.
func Write(path string, data []byte, perm fs.FileMode) error {
	return write(osOps{}, path, data, perm, true)
}

// SyncDir fsyncs the directory dir, making the creation, renaming or removal
// of its entries durable. On Windows, where directories cannot be synced, it
// does nothing.
func SyncDir(dir string) error {
	return osOps{}.SyncDir(dir)
}

// MkdirAll creates dir and any missing parents with permission bits perm
// (filtered by the umask, as [os.MkdirAll] does), and fsyncs the parent of
// every directory it created so that the new entries survive a crash. An
// existing directory is not an error; an existing non-directory is.
func MkdirAll(dir string, perm fs.FileMode) error {
	return mkdirAll(osOps{}, dir, perm)
}

// ops are the file-system calls a write makes. The functions above use
// osOps; tests substitute a recorder to check the sequence and to inject
// failures.
type ops interface {
	CreateTemp(dir, pattern string) (tempFile, error)
	Link(oldname, newname string) error
	Rename(oldname, newname string) error
	Remove(name string) error
	SyncDir(dir string) error
	Mkdir(name string, perm fs.FileMode) error
	Stat(name string) (fs.FileInfo, error)
}

// tempFile is the part of *os.File a write uses.
type tempFile interface {
	Name() string
	Write(b []byte) (int, error)
	Chmod(mode fs.FileMode) error
	Sync() error
	Close() error
}

func write(o ops, path string, data []byte, perm fs.FileMode, replace bool) (err error) {
	op := "atomicfile.WriteNew"
	if replace {
		op = "atomicfile.Write"
	}
	pathErr := func(step string, err error) error {
		return &fs.PathError{Op: op, Path: path, Err: fmt.Errorf("%s: %w", step, err)}
	}
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	if base == "" {
		return &fs.PathError{Op: op, Path: path, Err: errors.New("no file name")}
	}

	f, err := o.CreateTemp(dir, "."+base+".tmp*")
	if err != nil {
		return pathErr("create temporary file", err)
	}
	tmp := f.Name()
	closed := false
	defer func() {
		if err != nil {
			if !closed {
				f.Close()
			}
			o.Remove(tmp) // best effort; also fine when already removed
		}
	}()

	if _, err := f.Write(data); err != nil {
		return pathErr("write temporary file", err)
	}
	if err := f.Chmod(perm); err != nil {
		return pathErr("set permissions", err)
	}
	if err := f.Sync(); err != nil {
		return pathErr("fsync temporary file", err)
	}
	closed = true
	if err := f.Close(); err != nil {
		return pathErr("close temporary file", err)
	}

	if replace {
		if err := o.Rename(tmp, path); err != nil {
			return pathErr("rename", err)
		}
	} else {
		if err := o.Link(tmp, path); err != nil {
			if errors.Is(err, fs.ErrExist) {
				return &fs.PathError{Op: op, Path: path, Err: fs.ErrExist}
			}
			return pathErr("link", err)
		}
		// The file is in place; a failure to remove the temporary name
		// must not report the write as failed (the deferred cleanup would
		// not undo the link), so it is returned only after the dir sync.
		if rmErr := o.Remove(tmp); rmErr != nil {
			if err := o.SyncDir(dir); err != nil {
				return pathErr("fsync directory", err)
			}
			return pathErr("remove temporary name", rmErr)
		}
	}
	if err := o.SyncDir(dir); err != nil {
		return pathErr("fsync directory", err)
	}
	return nil
}

func mkdirAll(o ops, dir string, perm fs.FileMode) error {
	dir = filepath.Clean(dir)
	// Walk up to the first existing ancestor, collecting what is missing.
	var missing []string
	for d := dir; ; {
		fi, err := o.Stat(d)
		if err == nil {
			if !fi.IsDir() {
				return &fs.PathError{Op: "atomicfile.MkdirAll", Path: d, Err: errors.New("not a directory")}
			}
			break
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return &fs.PathError{Op: "atomicfile.MkdirAll", Path: d, Err: err}
		}
		missing = append(missing, d)
		parent := filepath.Dir(d)
		if parent == d {
			break
		}
		d = parent
	}
	// Create top-down; sync each new directory's parent.
	for i := len(missing) - 1; i >= 0; i-- {
		d := missing[i]
		if err := o.Mkdir(d, perm); err != nil {
			// Another process may have made it meanwhile.
			fi, statErr := o.Stat(d)
			if statErr != nil || !fi.IsDir() {
				return &fs.PathError{Op: "atomicfile.MkdirAll", Path: d, Err: err}
			}
		}
		if err := o.SyncDir(filepath.Dir(d)); err != nil {
			return &fs.PathError{Op: "atomicfile.MkdirAll", Path: d, Err: fmt.Errorf("fsync parent: %w", err)}
		}
	}
	return nil
}

// osOps is ops on the real file system.
type osOps struct{}

func (osOps) CreateTemp(dir, pattern string) (tempFile, error) {
	f, err := os.CreateTemp(dir, pattern)
	if err != nil {
		return nil, err
	}
	return f, nil
}

func (osOps) Link(oldname, newname string) error        { return os.Link(oldname, newname) }
func (osOps) Rename(oldname, newname string) error      { return os.Rename(oldname, newname) }
func (osOps) Remove(name string) error                  { return os.Remove(name) }
func (osOps) Mkdir(name string, perm fs.FileMode) error { return os.Mkdir(name, perm) }
func (osOps) Stat(name string) (fs.FileInfo, error)     { return os.Stat(name) }

func (osOps) SyncDir(dir string) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	if err := d.Sync(); err != nil {
		d.Close()
		return err
	}
	return d.Close()
}
