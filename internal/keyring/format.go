package keyring

import (
	"encoding/binary"
	"slices"
	"strconv"
)

// The symmetric ciphertext blob, format version 1 (docs/ciphertext-format.md
// is the byte-by-byte reference):
//
//	magic 'T' | version 0x01 | account (12 digits) | len(region) | region |
//	len(keyID) | keyID | material version (uint32 BE)         -- header
//	nonce (32) | GCM IV (12) | ciphertext | GCM tag (16)      -- body
//
// AAD = header || encodeContext(encryption context).
const (
	blobMagic   = 'T'
	blobVersion = 0x01

	accountLen   = 12
	maxRegionLen = 32
	keyIDLen     = 36 // both forms: UUID and "mrk-" + 32 hex
	nonceSize    = 32
	ivSize       = 12
	tagSize      = 16

	// bodyOverhead is what a blob adds to its plaintext beyond the header.
	bodyOverhead = nonceSize + ivSize + tagSize
	// minHeaderSize: magic, version, account, two length bytes, 1-byte
	// region, key ID, material version.
	minHeaderSize = 2 + accountLen + 1 + 1 + 1 + keyIDLen + 4
	maxHeaderSize = 2 + accountLen + 1 + maxRegionLen + 1 + keyIDLen + 4
)

// Size limits. AWS KMS accepts at most 4096 bytes of plaintext for a
// symmetric key and 6144 bytes of ciphertext; a blob of MaxPlaintextSize
// bytes of plaintext is at most maxHeaderSize+60+4096 = 4244 bytes.
const (
	MaxPlaintextSize  = 4096
	MaxCiphertextSize = 6144
	// MaxRandomSize bounds GenerateDataKey and Random (AWS's NumberOfBytes).
	MaxRandomSize = 1024
)

// MaterialRef names one version of a KMS key's backing material.
//
// Account is 12 ASCII digits; Region is 1 to 32 bytes of [a-z0-9-]; KeyID
// is a lower-case UUID (8-4-4-4-12 hex) or "mrk-" and 32 lower-case hex
// digits; Version counts from 1. Anything else is ErrInvalidRef.
type MaterialRef struct {
	Account string
	Region  string
	KeyID   string
	Version uint32
}

// String returns "account/region/keyID#version"; refs are not secret.
func (r MaterialRef) String() string {
	return r.Account + "/" + r.Region + "/" + r.KeyID + "#" + strconv.FormatUint(uint64(r.Version), 10)
}

// valid reports whether r is well formed.
func (r MaterialRef) valid() bool {
	return validAccount(r.Account) && validRegion(r.Region) && validKeyID(r.KeyID) && r.Version != 0
}

func validAccount(s string) bool {
	if len(s) != accountLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func validRegion(s string) bool {
	if len(s) == 0 || len(s) > maxRegionLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

func isLowerHex(c byte) bool { return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' }

func validKeyID(s string) bool {
	if len(s) != keyIDLen {
		return false
	}
	if s[:4] == "mrk-" {
		for i := 4; i < len(s); i++ {
			if !isLowerHex(s[i]) {
				return false
			}
		}
		return true
	}
	for i := 0; i < len(s); i++ {
		switch i {
		case 8, 13, 18, 23:
			if s[i] != '-' {
				return false
			}
		default:
			if !isLowerHex(s[i]) {
				return false
			}
		}
	}
	return true
}

// Header is what a ciphertext blob's header names: the key and the version
// of its backing material. It is not authenticated until Decrypt succeeds.
type Header struct {
	Account string
	Region  string
	KeyID   string
	Version uint32
}

// Ref returns the material reference the header names.
func (h Header) Ref() MaterialRef {
	return MaterialRef{Account: h.Account, Region: h.Region, KeyID: h.KeyID, Version: h.Version}
}

// ParseHeader parses the header of a symmetric ciphertext blob without
// decrypting it, so that the caller can find and authorize the key before
// calling Decrypt. It accepts only blobs that Encrypt could have produced
// as far as their header and length show: a blob that is malformed in any
// way, too short to hold nonce, IV and tag, or longer than
// MaxCiphertextSize, returns ErrInvalidCiphertext and a zero Header. A blob
// that is well framed but whose key reference (account, region, key ID or
// version) is not one a key can have returns ErrUnknownKeyRef: callers
// answer it as they answer a blob of a key that does not exist.
// It is a pure function of blob and never panics.
func ParseHeader(blob []byte) (Header, error) {
	h, _, err := parseHeader(blob)
	return h, err
}

// parseHeader is ParseHeader that also returns the header's length.
func parseHeader(blob []byte) (Header, int, error) {
	if len(blob) < minHeaderSize+bodyOverhead || len(blob) > MaxCiphertextSize ||
		blob[0] != blobMagic || blob[1] != blobVersion {
		return Header{}, 0, ErrInvalidCiphertext
	}
	p := 2 + accountLen
	regionLen := int(blob[p])
	p++
	regionAt := p
	p += regionLen
	// p+1+keyIDLen+4 <= len(blob) is guaranteed by minHeaderSize only when
	// regionLen is 1; check it for longer regions.
	if regionLen == 0 || regionLen > maxRegionLen || p+1+keyIDLen+4+bodyOverhead > len(blob) {
		return Header{}, 0, ErrInvalidCiphertext
	}
	if blob[p] != keyIDLen {
		return Header{}, 0, ErrInvalidCiphertext
	}
	p++
	keyAt := p
	p += keyIDLen
	version := binary.BigEndian.Uint32(blob[p:])
	p += 4

	// One allocation for the three strings.
	s := string(blob[2 : keyAt+keyIDLen])
	h := Header{
		Account: s[:accountLen],
		Region:  s[regionAt-2 : regionAt-2+regionLen],
		KeyID:   s[keyAt-2:],
		Version: version,
	}
	if version == 0 {
		return Header{}, 0, ErrInvalidCiphertext
	}
	if !h.Ref().valid() {
		// Well framed, but the key reference cannot name a key: for the
		// client this is a blob of a key that does not exist.
		return Header{}, 0, ErrUnknownKeyRef
	}
	return h, p, nil
}

// headerSize returns the length of the header for a valid ref.
func headerSize(r MaterialRef) int {
	return 2 + accountLen + 1 + len(r.Region) + 1 + len(r.KeyID) + 4
}

// appendHeader appends the header for a valid ref to dst.
func appendHeader(dst []byte, r MaterialRef) []byte {
	dst = append(dst, blobMagic, blobVersion)
	dst = append(dst, r.Account...)
	dst = append(dst, byte(len(r.Region)))
	dst = append(dst, r.Region...)
	dst = append(dst, byte(len(r.KeyID)))
	dst = append(dst, r.KeyID...)
	return binary.BigEndian.AppendUint32(dst, r.Version)
}

// appendContext appends the canonical encoding of an encryption context:
//
//	count (uint32 BE) || for each pair in ascending byte order of keys:
//	len(key) (uint32 BE) || key || len(value) (uint32 BE) || value
//
// A nil or empty context encodes as a zero count. Because every string is
// length-prefixed, {"ab":"c"} and {"a":"bc"} encode differently. keys is
// scratch space for sorting; it is returned cleared, for reuse. ok is false
// if a string is too long for its uint32 prefix (real contexts are bounded
// far below by the request size limit; the check keeps the encoding
// injective regardless).
func appendContext(dst []byte, ec map[string]string, keys []string) (_ []byte, _ []string, ok bool) {
	const max = 1<<32 - 1
	keys = keys[:0]
	for k, v := range ec {
		if uint64(len(k)) > max || uint64(len(v)) > max {
			return dst, keys, false
		}
		keys = append(keys, k)
	}
	slices.Sort(keys)
	dst = binary.BigEndian.AppendUint32(dst, uint32(len(keys)))
	for _, k := range keys {
		v := ec[k]
		dst = binary.BigEndian.AppendUint32(dst, uint32(len(k)))
		dst = append(dst, k...)
		dst = binary.BigEndian.AppendUint32(dst, uint32(len(v)))
		dst = append(dst, v...)
	}
	clear(keys) // drop the references to the strings
	return dst, keys[:0], true
}
