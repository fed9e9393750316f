package main

import (
	"errors"
	"fmt"
	"path/filepath"
	"syscall"

	"github.com/trentkms/trent/internal/store/sqlite"
)

// nearlyFull is the free space under which a write error of SQLite's that
// names no cause ("disk I/O error") is taken to mean a full disk: far
// more than any page SQLite writes at start-up, far less than a disk in
// use keeps free.
const nearlyFull = 1 << 20

// explainDiskFull returns err saying, first, that the file system of the
// data directory is full when that is why err happened: ENOSPC anywhere
// in its chain (the files Trent writes itself), SQLite's SQLITE_FULL, or
// an SQLite I/O error while less than nearlyFull bytes are free. Other
// errors come back unchanged.
func explainDiskFull(err error, dir string) error {
	if err == nil {
		return nil
	}
	free, ferr := freeDisk(dir)
	if ferr != nil { // not made yet: its parent's file system
		free, ferr = freeDisk(filepath.Dir(dir))
	}
	full := errors.Is(err, syscall.ENOSPC) || sqlite.IsDiskFull(err) ||
		(sqlite.IsIOError(err) && ferr == nil && free < nearlyFull)
	if !full {
		return err
	}
	left := ""
	if ferr == nil {
		left = fmt.Sprintf(" (%d bytes free)", free)
	}
	return fmt.Errorf("the disk is full: the file system of %s has no room left%s. Free some space there (or move the data directory to a larger file system) and start again: %w", dir, left, err)
}
