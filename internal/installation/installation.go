// Package installation identifies a Trent installation and remembers the
// regions it serves, so that a start can tell a completed installation
// from a new one and refuse what would silently lose data (README, First
// start):
//
//   - An installation ID is made at the first start and kept twice: in
//     the database's domain record (store.Installation) and in a marker
//     file in every node's data directory (MarkerName), written at the
//     end of the first start. A data directory with a marker whose
//     installation the database does not hold (a missing or empty
//     database, another database) is refused instead of becoming a new
//     installation.
//   - The regions served are recorded with it; Decide compares a start's
//     --region with them.
package installation

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"

	"github.com/google/uuid"

	"github.com/trentkms/trent/internal/atomicfile"
)

// MarkerName is the marker file's name in the data directory.
const MarkerName = "installation"

// The marker file is text:
//
//	trent-installation-v1
//	<installation ID: a UUID in its canonical lower-case form>
//
// Each line ends with "\n" ("\r\n" and a missing final newline are
// accepted on read).
const (
	markerHeader   = "trent-installation-v1"
	maxMarkerBytes = 1024
)

var idRE = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

// ErrInvalidMarker means a marker file exists but is not one.
var ErrInvalidMarker = errors.New("installation: invalid marker file")

// NewID returns a new installation ID: a random (version 4) UUID from
// crypto/rand.
func NewID() (string, error) {
	u, err := uuid.NewRandom()
	if err != nil {
		return "", fmt.Errorf("installation: new ID: %w", err)
	}
	return u.String(), nil
}

// ValidID reports whether id has the form NewID gives.
func ValidID(id string) bool { return idRE.MatchString(id) }

// FormatMarker returns the marker file's content for id.
func FormatMarker(id string) []byte {
	return []byte(markerHeader + "\n" + id + "\n")
}

// ParseMarker returns the installation ID a marker file holds, or an
// error wrapping ErrInvalidMarker.
func ParseMarker(data []byte) (string, error) {
	header, rest, ok := bytes.Cut(data, []byte("\n"))
	if !ok || string(bytes.TrimSuffix(header, []byte("\r"))) != markerHeader {
		return "", fmt.Errorf("%w: the first line is not %q", ErrInvalidMarker, markerHeader)
	}
	line, rest, _ := bytes.Cut(rest, []byte("\n"))
	line = bytes.TrimSuffix(line, []byte("\r"))
	if len(rest) != 0 {
		return "", fmt.Errorf("%w: unexpected data after the installation ID", ErrInvalidMarker)
	}
	if !ValidID(string(line)) {
		return "", fmt.Errorf("%w: %q is not an installation ID", ErrInvalidMarker, clip(line))
	}
	return string(line), nil
}

func clip(b []byte) string {
	if len(b) > 64 {
		return string(b[:64]) + "..."
	}
	return string(b)
}

// MarkerPath returns the marker file's path in the data directory dir.
func MarkerPath(dir string) string { return filepath.Join(dir, MarkerName) }

// ReadMarker returns the installation ID of the data directory dir's
// marker file: an error wrapping fs.ErrNotExist when there is none, one
// wrapping ErrInvalidMarker when the file is not a marker.
func ReadMarker(dir string) (string, error) {
	path := MarkerPath(dir)
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("read installation marker: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxMarkerBytes+1))
	if err != nil {
		return "", fmt.Errorf("read installation marker %s: %w", path, err)
	}
	if len(data) > maxMarkerBytes {
		return "", fmt.Errorf("installation marker %s: %w: too large", path, ErrInvalidMarker)
	}
	id, err := ParseMarker(data)
	if err != nil {
		return "", fmt.Errorf("installation marker %s: %w", path, err)
	}
	return id, nil
}

// WriteMarker writes the marker file of installation id into the data
// directory dir (mode 0600, durably, with atomicfile.WriteNew). It never
// replaces a marker: if one exists it returns nil when it names id, and
// an error otherwise.
func WriteMarker(dir, id string) error {
	if !ValidID(id) {
		return fmt.Errorf("installation: %q is not an installation ID", id)
	}
	err := atomicfile.WriteNew(MarkerPath(dir), FormatMarker(id), 0o600)
	if !errors.Is(err, fs.ErrExist) {
		if err != nil {
			return fmt.Errorf("write installation marker: %w", err)
		}
		return nil
	}
	have, rerr := ReadMarker(dir)
	if rerr != nil {
		return rerr
	}
	if have != id {
		return fmt.Errorf("installation marker %s names installation %s, not %s", MarkerPath(dir), have, id)
	}
	return nil
}
