package keyring

import (
	"crypto/aes"
	"crypto/subtle"
	"encoding/binary"
	"errors"
)

// AES Key Wrap with Padding (RFC 5649, "KWP"; NIST SP 800-38F KWP), as
// the RSA_AES_KEY_WRAP_* import algorithms use it: the second part of the
// EncryptedKeyMaterial is KWP(ephemeral 256-bit AES key, key material),
// the same as `openssl enc -id-aes256-wrap-pad`. Built on crypto/aes's
// block cipher only.

// errKWP is the single error for every unwrap failure, so that a caller
// learns nothing about which check failed.
var errKWP = errors.New("keyring: AES key unwrap failed")

// kwpAIVPrefix is the first half of RFC 5649's alternative initial value.
var kwpAIVPrefix = [4]byte{0xA6, 0x59, 0x59, 0xA6}

// kwpMaxInput bounds what kwpWrap and kwpUnwrap accept: far above any key
// material, far below RFC 5649's 2^32-byte limit.
const kwpMaxInput = 1 << 20

// kwpWrap wraps pt (1 byte to kwpMaxInput) under kek (16, 24 or 32 bytes)
// with RFC 5649 and returns the ciphertext of 8 bytes more than pt padded
// to a multiple of 8.
func kwpWrap(kek, pt []byte) ([]byte, error) {
	if len(pt) == 0 || len(pt) > kwpMaxInput {
		return nil, errors.New("keyring: AES key wrap: bad plaintext length")
	}
	b, err := aes.NewCipher(kek)
	if err != nil {
		return nil, err
	}
	n := (len(pt) + 7) / 8
	out := make([]byte, 8+8*n)
	copy(out[:4], kwpAIVPrefix[:])
	binary.BigEndian.PutUint32(out[4:8], uint32(len(pt)))
	copy(out[8:], pt) // zero padding: out is fresh
	if n == 1 {
		b.Encrypt(out, out)
		return out, nil
	}
	var buf [16]byte
	defer clear(buf[:])
	a := buf[:8]
	copy(a, out[:8])
	for j := range 6 {
		for i := 1; i <= n; i++ {
			copy(buf[8:], out[8*i:8*i+8])
			b.Encrypt(buf[:], buf[:])
			t := uint64(n*j + i)
			binary.BigEndian.PutUint64(a, binary.BigEndian.Uint64(a)^t)
			copy(out[8*i:8*i+8], buf[8:])
		}
	}
	copy(out[:8], a)
	return out, nil
}

// kwpUnwrap unwraps ct under kek (16, 24 or 32 bytes) with RFC 5649 and
// returns the plaintext, or errKWP if ct's length is not a multiple of 8
// of at least 16 bytes, or the alternative initial value (its constant
// half, its length, and the zero padding) does not check. The checks are
// made in constant time and combined, so a failure does not tell which
// failed. The caller owns and should clear the result.
func kwpUnwrap(kek, ct []byte) ([]byte, error) {
	if len(ct) < 16 || len(ct)%8 != 0 || len(ct) > kwpMaxInput+8 {
		return nil, errKWP
	}
	b, err := aes.NewCipher(kek)
	if err != nil {
		return nil, errKWP
	}
	n := len(ct)/8 - 1
	out := make([]byte, len(ct))
	copy(out, ct)
	var buf [16]byte
	defer clear(buf[:])
	if n == 1 {
		b.Decrypt(out, out)
	} else {
		a := buf[:8]
		copy(a, out[:8])
		for j := 5; j >= 0; j-- {
			for i := n; i >= 1; i-- {
				t := uint64(n*j + i)
				binary.BigEndian.PutUint64(a, binary.BigEndian.Uint64(a)^t)
				copy(buf[8:], out[8*i:8*i+8])
				b.Decrypt(buf[:], buf[:])
				copy(out[8*i:8*i+8], buf[8:])
			}
		}
		copy(out[:8], a)
	}
	p := out[8:]
	ok := subtle.ConstantTimeCompare(out[:4], kwpAIVPrefix[:])
	// 8(n-1) < mli <= 8n, computed on 64-bit values without branches:
	// (x - y) >> 63 is 1 exactly when x < y, for x, y < 2^63.
	mli := uint64(binary.BigEndian.Uint32(out[4:8]))
	lo, hi := uint64(8*(n-1)), uint64(8*n)
	ok &= int((lo - mli) >> 63)       // lo < mli
	ok &= int(1 ^ ((hi - mli) >> 63)) // mli <= hi
	// Every byte of the last block at or after mli must be zero.
	var pad byte
	for i := 8 * (n - 1); i < 8*n; i++ {
		inPad := byte(1 ^ ((uint64(i) - mli) >> 63)) // i >= mli
		pad |= p[i] & -inPad
	}
	ok &= subtle.ConstantTimeByteEq(pad, 0)
	if ok != 1 {
		clear(out)
		return nil, errKWP
	}
	res := make([]byte, mli)
	copy(res, p)
	clear(out)
	return res, nil
}
