package seal

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"io"
	"os"
	"runtime"
	"sync"

	"github.com/trentkms/trent/internal/atomicfile"
)

// The root key file is text, so that it is recognisable and survives being
// copied through tools that mangle binary files:
//
//	trent-root-key-v1
//	<standard base64 of 32 random bytes>
//
// Each line ends with "\n" ("\r\n" and a missing final newline are accepted
// on read).
const (
	fileHeader   = "trent-root-key-v1"
	rootKeySize  = 32
	maxFileBytes = 4096
)

// Wrapped domain key, format version 1:
//
//	offset size
//	0      1    version, 0x01
//	1      8    root key identifier: HMAC-SHA256(root key, idLabel)[:8]
//	9      12   AES-GCM IV (random)
//	21     n    ciphertext of the domain key
//	21+n   16   GCM tag
//
// The AES-256-GCM key is HMAC-SHA256(root key, wrapLabel); the AAD is
// aadLabel followed by bytes 0..8 (version and identifier). The identifier
// is a public check value: it lets Unwrap report ErrWrongRootKey instead of
// a generic failure, and reveals nothing about the key (it is a PRF output
// under a label no other use shares).
const (
	wrapVersion = formatFile
	idSize      = 8
	ivSize      = 12
	tagSize     = 16
	wrapHeader  = 1 + idSize
	wrapLabel   = "trent root key: domain key wrapping key v1"
	idLabel     = "trent root key: identifier v1"
	aadLabel    = "trent domain key v1"
)

// File is a Provider whose root key is a 256-bit key in a local file
// (DATA_DIR/seal.key by default). Every node of a cluster uses a copy of
// the same file.
//
// File is safe for concurrent use. It keeps only keys derived from the root
// key, in a buffer that Close zeroes; after Close, Wrap and Unwrap return
// ErrClosed. A File never prints its key: every fmt verb prints only the
// path.
type File struct {
	path string
	id   [idSize]byte // public

	mu sync.RWMutex // guards wrapKey and closed
	// wrapKey is behind a pointer, which %v of a copied File (vet reports
	// copies) shows as an address; Format covers *File.
	wrapKey *[sha256.Size]byte // zeroed by Close
	closed  bool
}

var _ Provider = (*File)(nil)

// OpenFile reads an existing root key file.
//
// A missing file is an error wrapping [io/fs.ErrNotExist]. A file that group
// or others may access is [ErrInsecurePermissions] (except on Windows, whose
// permission bits mean something else); a file that is not a root key file
// is [ErrInvalidKeyFile].
func OpenFile(path string) (*File, error) {
	// Stat before Open, so that a FIFO in the way does not block Open.
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("seal: open root key file: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("seal: root key file %s is not a regular file: %w", path, ErrInvalidKeyFile)
	}
	if runtime.GOOS != "windows" && fi.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("seal: root key file %s has mode %v; run chmod 600 on it: %w",
			path, fi.Mode().Perm(), ErrInsecurePermissions)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("seal: open root key file: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxFileBytes+1))
	defer clear(data)
	if err != nil {
		return nil, fmt.Errorf("seal: read root key file: %w", err)
	}
	if len(data) > maxFileBytes {
		return nil, fmt.Errorf("seal: root key file %s is too large: %w", path, ErrInvalidKeyFile)
	}
	key, err := parseKeyFile(data)
	if err != nil {
		return nil, fmt.Errorf("seal: root key file %s: %w", path, err)
	}
	defer clear(key)
	return newFile(path, key), nil
}

// CreateFile makes a new root key file at path with a fresh 256-bit key
// read from random (nil means crypto/rand), mode 0600, written durably with
// [atomicfile.WriteNew]. It never replaces an existing file: if path exists
// the error wraps [io/fs.ErrExist]. The directory must exist.
func CreateFile(path string, random io.Reader) (*File, error) {
	if random == nil {
		random = rand.Reader
	}
	key := make([]byte, rootKeySize)
	defer clear(key)
	if _, err := io.ReadFull(random, key); err != nil {
		return nil, fmt.Errorf("seal: generate root key: %w", err)
	}
	data := encodeKeyFile(key)
	defer clear(data)
	if err := atomicfile.WriteNew(path, data, 0o600); err != nil {
		return nil, fmt.Errorf("seal: create root key file: %w", err)
	}
	return newFile(path, key), nil
}

func encodeKeyFile(key []byte) []byte {
	n := base64.StdEncoding.EncodedLen(len(key))
	data := make([]byte, 0, len(fileHeader)+1+n+1)
	data = append(data, fileHeader...)
	data = append(data, '\n')
	data = base64.StdEncoding.AppendEncode(data, key)
	return append(data, '\n')
}

// parseKeyFile returns the key in data; the caller zeroes it.
func parseKeyFile(data []byte) ([]byte, error) {
	header, rest, ok := bytes.Cut(data, []byte("\n"))
	if !ok || string(bytes.TrimSuffix(header, []byte("\r"))) != fileHeader {
		return nil, fmt.Errorf("first line is not %q: %w", fileHeader, ErrInvalidKeyFile)
	}
	line, rest, _ := bytes.Cut(rest, []byte("\n"))
	line = bytes.TrimSuffix(line, []byte("\r"))
	if len(rest) != 0 {
		return nil, fmt.Errorf("unexpected data after the key line: %w", ErrInvalidKeyFile)
	}
	key := make([]byte, base64.StdEncoding.DecodedLen(len(line)))
	n, err := base64.StdEncoding.Decode(key, line)
	if err != nil || n != rootKeySize {
		clear(key)
		// The error of Decode quotes no input, but do not wrap it anyway:
		// the line is key material.
		return nil, fmt.Errorf("key line is not the base64 encoding of %d bytes: %w", rootKeySize, ErrInvalidKeyFile)
	}
	return key[:n], nil
}

// newFile derives the File's keys from the root key; it does not keep key.
func newFile(path string, key []byte) *File {
	f := &File{path: path}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(idLabel))
	var sum [sha256.Size]byte
	copy(f.id[:], mac.Sum(sum[:0]))
	mac = hmac.New(sha256.New, key)
	mac.Write([]byte(wrapLabel))
	f.wrapKey = new([sha256.Size]byte)
	mac.Sum(f.wrapKey[:0])
	clear(sum[:])
	return f
}

// Name returns "file".
func (f *File) Name() string { return "file" }

// Path returns the root key file's path.
func (f *File) Path() string { return f.path }

// Wrap encrypts domainKey (DomainKeySize bytes) under the root key with
// AES-256-GCM and a random IV. The context is not used.
func (f *File) Wrap(_ context.Context, domainKey []byte) ([]byte, error) {
	if len(domainKey) != DomainKeySize {
		return nil, fmt.Errorf("seal: domain key is %d bytes, want %d", len(domainKey), DomainKeySize)
	}
	f.mu.RLock()
	defer f.mu.RUnlock()
	if f.closed {
		return nil, ErrClosed
	}
	aead, err := newAEAD(f.wrapKey[:])
	if err != nil {
		return nil, err
	}
	out := make([]byte, wrapHeader, wrapHeader+ivSize+len(domainKey)+tagSize)
	out[0] = wrapVersion
	copy(out[1:], f.id[:])
	aad := append([]byte(aadLabel), out[:wrapHeader]...)
	return aead.Seal(out, nil, domainKey, aad), nil
}

// Unwrap decrypts a blob made by Wrap. It returns [ErrMalformed] for bytes
// that are not a wrapped key, [ErrWrongRootKey] for a blob made by another
// root key (also [ErrWrongProvider] for another provider's blob) and
// [ErrCorrupt] when authentication fails. The context is not
// used.
func (f *File) Unwrap(_ context.Context, wrapped []byte) ([]byte, error) {
	if err := checkFormat(wrapped, formatFile, "file"); err != nil {
		return nil, err
	}
	if len(wrapped) < wrapHeader+ivSize+tagSize {
		return nil, ErrMalformed
	}
	if !bytes.Equal(wrapped[1:wrapHeader], f.id[:]) {
		return nil, ErrWrongRootKey
	}
	f.mu.RLock()
	defer f.mu.RUnlock()
	if f.closed {
		return nil, ErrClosed
	}
	aead, err := newAEAD(f.wrapKey[:])
	if err != nil {
		return nil, err
	}
	aad := append([]byte(aadLabel), wrapped[:wrapHeader]...)
	key, err := aead.Open(nil, nil, wrapped[wrapHeader:], aad)
	if err != nil {
		return nil, ErrCorrupt
	}
	return key, nil
}

func newAEAD(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	aead, err := cipher.NewGCMWithRandomNonce(block)
	if err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	return aead, nil
}

// Close zeroes the File's keys. It is idempotent and always returns nil.
// Calls in progress finish first.
func (f *File) Close() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	clear(f.wrapKey[:])
	f.closed = true
	return nil
}

// String returns a description that names the file, never the key.
func (f *File) String() string { return "seal.File(" + f.path + ")" }

// GoString is String, so that %#v prints no key either.
func (f *File) GoString() string { return f.String() }

// Format prints String for every verb, so that no verb prints the key.
func (f *File) Format(s fmt.State, _ rune) { io.WriteString(s, f.String()) }
