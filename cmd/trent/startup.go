package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/trentkms/trent/internal/installation"
	"github.com/trentkms/trent/internal/store"
)

// What a start checks before it writes anything, and what it records
// (README, First start and Regions).

// dirState is what the data directory says about its first start.
type dirState struct {
	// marker is the installation ID in DATA_DIR/installation, "" without
	// one.
	marker string
	// done says that a first start completed here: the marker or
	// DATA_DIR/credentials exists. (An interrupted first start has
	// written neither; a data directory of an earlier release has only the
	// credentials file.)
	done bool
	// evidence is the file that says so, for messages.
	evidence string
}

func readDirState(d *dataFlags) (dirState, error) {
	id, err := installation.ReadMarker(d.dataDir)
	switch {
	case err == nil:
		return dirState{marker: id, done: true, evidence: installation.MarkerPath(d.dataDir)}, nil
	case !errors.Is(err, fs.ErrNotExist):
		return dirState{}, fmt.Errorf("%w; refusing to start (restore the file from a backup of this data directory, or remove it if the database in use is the right one)", err)
	}
	cred := credentialsPath(d, "", true)
	if _, err := os.Lstat(cred); err == nil {
		return dirState{done: true, evidence: cred}, nil
	}
	return dirState{}, nil
}

// checkInstallation refuses a database whose installation ID is not the
// one the data directory's marker names. A database without an ID (an
// earlier release's) is not refused: the server gives it the marker's.
func (s dirState) checkInstallation(d *dataFlags, id string) error {
	if s.marker == "" || id == "" || id == s.marker {
		return nil
	}
	return fmt.Errorf("the data directory %s belongs to installation %s (%s), but the database %s holds installation %s; refusing to start. "+
		"Point --store at the database of installation %s (or restore it from its backup), "+
		"or start on an empty data directory to use the database of installation %s",
		d.dataDir, s.marker, s.evidence, d.dbName(), id, s.marker, id)
}

// checkDatabaseFile checks the SQLite database file before it is opened
// (opening creates it): a completed data directory without its database,
// or with an empty one, is refused, and so is an empty one for a command
// that does not create.
func checkDatabaseFile(d *dataFlags, dir dirState, create bool) error {
	fi, err := os.Stat(d.dbPath())
	switch {
	case err == nil && fi.Size() > 0:
		return nil
	case err != nil && !errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("open database: %w", err)
	case dir.done && err != nil:
		return errNoInstallation(d, dir, "is missing")
	case dir.done:
		return errNoInstallation(d, dir, "is empty")
	case create:
		return nil // a new data directory, or a first start to finish
	case err != nil:
		return fmt.Errorf("open data directory %s: %w", d.dataDir, err)
	}
	return fmt.Errorf("the database %s is empty: the data directory is not initialised; start the server once to create it", d.dbPath())
}

// errNoInstallation is the refusal of a data directory whose first start
// completed when its database is missing, empty, or holds no
// installation: starting a new installation there would make a new root
// account and root key material nobody has, and leave the data
// directory's credentials file pointing at neither.
func errNoInstallation(d *dataFlags, dir dirState, what string) error {
	whose := fmt.Sprintf("completed its first start (%s exists)", dir.evidence)
	restoreWhat := "the database of this data directory"
	if dir.marker != "" {
		whose = fmt.Sprintf("belongs to installation %s (%s)", dir.marker, dir.evidence)
		restoreWhat = "the database of installation " + dir.marker
	}
	restore := fmt.Sprintf("restore trent.db from a backup (trent admin backup) into %s beside its seal.key", d.dataDir)
	if d.postgres() {
		restore = fmt.Sprintf("point --store at %s, or restore that database from its backup", restoreWhat)
	}
	return fmt.Errorf("the data directory %s %s, but the database %s %s; refusing to start a new installation over it, which would leave %s unusable. "+
		"To recover, %s; to start a new installation, start on an empty data directory. Nothing was written",
		d.dataDir, whose, d.dbName(), what, credentialsPath(d, "", true), restore)
}

// settleInstallation decides the regions this start serves and records
// them, with the installation ID, in the database: a database of an
// earlier release gets the marker's ID, or a new one, and its regions in
// use adopted. A --region that leaves out a region holding keys or
// aliases is refused (installation.DropError) before anything is
// written. Several nodes starting at once each decide on what they read;
// a compare-and-swap makes a loser decide again.
func (n *node) settleInstallation(ctx context.Context, d *dataFlags, given installation.Regions, explicit bool, logger *slog.Logger) (installation.Regions, error) {
	for attempt := 1; ; attempt++ {
		old := n.domain.Installation
		if err := n.dir.checkInstallation(d, old.ID); err != nil {
			return installation.Regions{}, err
		}
		inUse, err := n.store.RegionsInUse(ctx)
		if err != nil {
			return installation.Regions{}, err
		}
		dec, err := installation.Decide(old.Regions, given, explicit, inUse)
		if err != nil {
			return installation.Regions{}, fmt.Errorf("%w. Nothing was written", err)
		}
		next := store.Installation{ID: old.ID, Regions: dec.Serve.String()}
		if next.ID == "" {
			if next.ID = n.dir.marker; next.ID == "" {
				if next.ID, err = installation.NewID(); err != nil {
					return installation.Regions{}, err
				}
			}
		}
		if next != old {
			err := n.store.SetInstallation(ctx, old, next)
			if errors.Is(err, store.ErrConflict) && attempt < 10 {
				if n.domain, err = n.store.Domain(ctx); err != nil {
					return installation.Regions{}, err
				}
				continue
			}
			if err != nil {
				return installation.Regions{}, fmt.Errorf("record the installation: %w", err)
			}
		}
		if old.ID == "" {
			logger.Info("the database had no installation ID (written by an earlier release): it has one now, which the data directory's marker file repeats", "installation", next.ID)
		}
		if len(dec.Adopted) > 0 {
			logger.Warn("serving regions that hold keys or aliases although --region left them out, because the database recorded no regions (written by an earlier release); they are recorded now, and a later --region that leaves them out is refused",
				"adopted", strings.Join(dec.Adopted, ","), "serving", dec.Serve.String())
		}
		if len(dec.Added) > 0 {
			logger.Info("serving more regions than the installation recorded; recorded the new set", "added", strings.Join(dec.Added, ","), "serving", dec.Serve.String())
		}
		if len(dec.Dropped) > 0 {
			logger.Info("no longer serving regions that held no keys or aliases; recorded the new set", "dropped", strings.Join(dec.Dropped, ","), "serving", dec.Serve.String())
		}
		n.domain.Installation = next
		return dec.Serve, nil
	}
}

// writeMarker writes the data directory's installation marker, the end of
// a first start (or of the first start of this release on an earlier
// release's data directory); nothing when it is there.
func (n *node) writeMarker(d *dataFlags) error {
	if n.dir.marker != "" {
		return nil
	}
	return installation.WriteMarker(d.dataDir, n.domain.Installation.ID)
}

// checkPermissions refuses a data directory that users other than its
// owner and group may write, or that holds such a file: they could
// replace the database, plant credentials or read what they then
// provoke. The error says which chmod fixes it. Group write access is
// only warned about (the returned warnings): it is how Kubernetes mounts
// a volume with fsGroup. A data directory that does not exist yet passes.
// The root key file's stricter check is seal.OpenFile's.
func checkPermissions(dir string) (warnings []string, err error) {
	if runtime.GOOS == "windows" { // permission bits mean something else
		return nil, nil
	}
	fi, err := os.Stat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("data directory: %w", err)
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("the data directory %s is not a directory", dir)
	}
	var others, group []string
	note := func(path string, mode fs.FileMode) {
		switch {
		case mode&0o002 != 0:
			others = append(others, path)
		case mode&0o020 != 0:
			group = append(group, path)
		}
	}
	note(dir, fi.Mode())
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("data directory: %w", err)
	}
	for _, e := range entries {
		path := filepath.Join(dir, e.Name())
		fi, err := os.Stat(path) // a symbolic link: what it points to
		if err != nil {
			if fi, err = os.Lstat(path); err != nil {
				return nil, fmt.Errorf("data directory: %w", err)
			}
		}
		note(path, fi.Mode())
	}
	if len(others) > 0 {
		return nil, fmt.Errorf("the data directory %s or files in it can be written by any user (%s): anyone could replace the database or the credentials. "+
			"Refusing to start; fix it with: chmod o-w %s", dir, strings.Join(others, ", "), shellQuote(others))
	}
	if len(group) > 0 {
		warnings = append(warnings, fmt.Sprintf("the data directory %s or files in it can be written by their group (%s): expected on a Kubernetes volume mounted with fsGroup; otherwise fix it with: chmod g-w %s",
			dir, strings.Join(group, ", "), shellQuote(group)))
	}
	return warnings, nil
}

// shellQuote joins paths for a shell command line, quoting those that
// need it.
func shellQuote(paths []string) string {
	out := make([]string, len(paths))
	for i, p := range paths {
		if p != "" && strings.Trim(p, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_./-+:@") == "" {
			out[i] = p
		} else {
			out[i] = "'" + strings.ReplaceAll(p, "'", `'\''`) + "'"
		}
	}
	return strings.Join(out, " ")
}
