package seal

import (
	"bytes"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"

	"github.com/trentkms/trent/internal/atomicfile"
)

// A share of the shamir seal is one line of text (docs/ciphertext-format.md
// §4.4):
//
//	trent-share-v1:<base64url without padding of 55 bytes>
//
// The 55 bytes:
//
//	offset size
//	0      16   share-set ID (random; the wrapped domain key names it too)
//	16     1    threshold T
//	17     1    shares N
//	18     1    this share's index, its x-coordinate (1 to N)
//	19     32   the share's value (secret)
//	51     4    checksum: SHA-256(shareChecksumLabel || bytes 0..51)[:4]
//
// The checksum catches a share mistyped or cut short before it costs an
// unseal attempt; it is not a MAC (the key check value of the wrapped
// domain key authenticates the reconstructed root key). The set ID makes a
// share of another installation, or of a set a rotation replaced, a clear
// ErrWrongShareSet rather than a failed reconstruction.
const (
	sharePrefix        = "trent-share-v1:"
	shareSetIDSize     = 16
	shareValueSize     = RootKeySize
	shareChecksumSize  = 4
	shareBinarySize    = shareSetIDSize + 3 + shareValueSize + shareChecksumSize
	shareChecksumLabel = "trent share checksum v1"
	// MaxShareLine bounds a share's line; longer input is not a share.
	MaxShareLine = 256
)

// RootKeySize is the size in bytes of the root key a Shamir seal splits.
const RootKeySize = rootKeySize

// ShareSetID names a set of shares made together.
type ShareSetID [shareSetIDSize]byte

// String returns the ID in hex.
func (id ShareSetID) String() string { return hex.EncodeToString(id[:]) }

// Share is one share of a Shamir seal's root key. Its value is secret:
// no fmt verb prints it, Encode is the one way out, and Zero clears it.
type Share struct {
	set       ShareSetID
	threshold byte
	count     byte
	index     byte
	value     *[shareValueSize]byte
}

// SetID returns the share set the share belongs to.
func (s Share) SetID() ShareSetID { return s.set }

// Index returns the share's index, 1 to Count.
func (s Share) Index() int { return int(s.index) }

// Threshold returns how many shares of the set reconstruct the root key.
func (s Share) Threshold() int { return int(s.threshold) }

// Count returns how many shares the set has.
func (s Share) Count() int { return int(s.count) }

// Zero clears the share's value in place (every copy of the Share sees it
// cleared).
func (s Share) Zero() {
	if s.value != nil {
		clear(s.value[:])
	}
}

// String describes the share without its value.
func (s Share) String() string {
	return fmt.Sprintf("share %d of %d (threshold %d) of share set %s", s.index, s.count, s.threshold, s.set)
}

// GoString is String.
func (s Share) GoString() string { return s.String() }

// Format prints String for every verb.
func (s Share) Format(f fmt.State, _ rune) { io.WriteString(f, s.String()) }

func shareChecksum(b []byte) []byte {
	h := sha256.New()
	h.Write([]byte(shareChecksumLabel))
	h.Write(b)
	return h.Sum(nil)[:shareChecksumSize]
}

// Encode returns the share's line (without a newline). The caller zeroes
// it once written.
func (s Share) Encode() []byte {
	var bin [shareBinarySize]byte
	defer clear(bin[:])
	copy(bin[:], s.set[:])
	bin[16], bin[17], bin[18] = s.threshold, s.count, s.index
	copy(bin[19:], s.value[:])
	copy(bin[51:], shareChecksum(bin[:51]))
	out := make([]byte, 0, len(sharePrefix)+base64.RawURLEncoding.EncodedLen(shareBinarySize))
	out = append(out, sharePrefix...)
	return base64.RawURLEncoding.AppendEncode(out, bin[:])
}

// ParseShare parses one share's text: the line Encode makes, with any
// surrounding white space (a trailing newline, CRLF). It returns an error
// wrapping ErrInvalidShare for anything else; the error never quotes the
// input, which may hold a share's value.
func ParseShare(text []byte) (Share, error) {
	text = bytes.TrimSpace(text)
	if len(text) > MaxShareLine {
		return Share{}, fmt.Errorf("%w: %d bytes is too long for a share", ErrInvalidShare, len(text))
	}
	rest, ok := bytes.CutPrefix(text, []byte(sharePrefix))
	if !ok {
		if bytes.HasPrefix(text, []byte("trent-share-")) {
			return Share{}, fmt.Errorf("%w: a share format this build does not know (want %q)", ErrInvalidShare, sharePrefix)
		}
		return Share{}, fmt.Errorf("%w: it does not start with %q", ErrInvalidShare, sharePrefix)
	}
	if len(rest) != base64.RawURLEncoding.EncodedLen(shareBinarySize) {
		return Share{}, fmt.Errorf("%w: %d characters after the prefix, want %d (cut short or run together?)",
			ErrInvalidShare, len(rest), base64.RawURLEncoding.EncodedLen(shareBinarySize))
	}
	var bin [shareBinarySize]byte
	defer clear(bin[:])
	n, err := base64.RawURLEncoding.Strict().Decode(bin[:], rest)
	if err != nil || n != shareBinarySize {
		return Share{}, fmt.Errorf("%w: not base64url", ErrInvalidShare)
	}
	if subtle.ConstantTimeCompare(shareChecksum(bin[:51]), bin[51:]) != 1 {
		return Share{}, fmt.Errorf("%w: checksum mismatch (a mistyped or damaged share)", ErrInvalidShare)
	}
	s := Share{threshold: bin[16], count: bin[17], index: bin[18], value: new([shareValueSize]byte)}
	copy(s.set[:], bin[:16])
	copy(s.value[:], bin[19:51])
	if err := s.validParams(); err != nil {
		s.Zero()
		return Share{}, err
	}
	return s, nil
}

func (s Share) validParams() error {
	t, n, i := int(s.threshold), int(s.count), int(s.index)
	if t < 1 || t > n || (t == 1 && n != 1) || i < 1 || i > n {
		return fmt.Errorf("%w: index %d, threshold %d, shares %d are not consistent", ErrInvalidShare, i, t, n)
	}
	return nil
}

// ShareFileName is the name of share i's file in WriteShareFiles' directory.
func ShareFileName(i int) string { return "share-" + strconv.Itoa(i) }

// WriteShareFiles writes each share to dir/share-<index> (0600, written
// durably with atomicfile.WriteNew, one line each) and returns the paths.
// dir is made 0700 if absent. It never replaces a file: if any share file
// exists already, it writes none (the error wraps fs.ErrExist), and if a
// write fails it removes the files it wrote.
func WriteShareFiles(dir string, shares []Share) ([]string, error) {
	if len(shares) == 0 {
		return nil, errors.New("seal: no shares to write")
	}
	if err := atomicfile.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("seal: share directory: %w", err)
	}
	if fi, err := os.Stat(dir); err != nil {
		return nil, fmt.Errorf("seal: share directory: %w", err)
	} else if !fi.IsDir() {
		return nil, fmt.Errorf("seal: share directory %s is not a directory", dir)
	}
	paths := make([]string, len(shares))
	for i, s := range shares {
		paths[i] = filepath.Join(dir, ShareFileName(s.Index()))
		if _, err := os.Lstat(paths[i]); err == nil {
			return nil, fmt.Errorf("seal: share file %s exists; move it away first: %w", paths[i], fs.ErrExist)
		} else if !errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("seal: share file: %w", err)
		}
	}
	for i, s := range shares {
		line := append(s.Encode(), '\n')
		err := atomicfile.WriteNew(paths[i], line, 0o600)
		clear(line)
		if err != nil {
			for _, p := range paths[:i] {
				os.Remove(p)
			}
			return nil, fmt.Errorf("seal: write share file: %w", err)
		}
	}
	return paths, nil
}
