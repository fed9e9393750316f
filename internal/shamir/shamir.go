// Package shamir is Shamir's secret sharing over GF(2^8): a secret of any
// length is split byte by byte into n shares so that any t of them
// reconstruct it and fewer reveal nothing about it (Shamir, "How to share a
// secret", CACM 22(11), 1979).
//
// Each byte s of the secret is the constant term of a polynomial of degree
// t-1 whose other coefficients are uniformly random bytes; share i (its
// x-coordinate, 1 to n) holds the polynomial's value at x = i for every
// byte. Combine interpolates at x = 0 (Lagrange). The field is GF(2^8)
// with the AES polynomial 0x11b; its arithmetic is constant-time
// (gf256.go).
//
// This package knows nothing of formats: a share is its x-coordinate and
// its bytes. internal/seal gives shares their file format.
package shamir

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io"
)

// MaxShares is the largest n: x-coordinates are the non-zero bytes.
const MaxShares = 255

var (
	// ErrParameters means n or t is out of range (1 <= t <= n <= 255,
	// t >= 2 unless n is 1) or the secret is empty.
	ErrParameters = errors.New("shamir: invalid parameters")
	// ErrShares means the shares given to Combine are unusable: none,
	// empty or of unequal lengths, x-coordinate 0, or a repeated
	// x-coordinate.
	ErrShares = errors.New("shamir: invalid shares")
)

// Share is one share: X is its x-coordinate (1 to 255), Y the polynomial's
// values there, one byte per byte of the secret. Y is secret.
type Share struct {
	X byte
	Y []byte
}

// Split splits secret into n shares with threshold t, with coefficients
// read from random (nil means crypto/rand). The shares' X are 1 to n.
// The caller zeroes secret and, once handed out, the shares' Y.
func Split(secret []byte, n, t int, random io.Reader) ([]Share, error) {
	if len(secret) == 0 || n < 1 || n > MaxShares || t < 1 || t > n || (t == 1 && n != 1) {
		return nil, fmt.Errorf("%w: %d shares with threshold %d of a %d-byte secret (want 2 <= threshold <= shares <= %d, or 1 of 1)",
			ErrParameters, n, t, len(secret), MaxShares)
	}
	if random == nil {
		random = rand.Reader
	}
	// coef[j*(t-1) + k] is the coefficient of x^(k+1) for byte j.
	coef := make([]byte, len(secret)*(t-1))
	defer clear(coef)
	if _, err := io.ReadFull(random, coef); err != nil {
		return nil, fmt.Errorf("shamir: read random coefficients: %w", err)
	}
	shares := make([]Share, n)
	for i := range shares {
		x := byte(i + 1)
		y := make([]byte, len(secret))
		for j, s := range secret {
			// Horner: ((c_{t-1} x + c_{t-2}) x + ... + c_1) x + s.
			c := coef[j*(t-1) : (j+1)*(t-1)]
			var v byte
			for k := len(c) - 1; k >= 0; k-- {
				v = mul(v^c[k], x)
			}
			y[j] = v ^ s
		}
		shares[i] = Share{X: x, Y: y}
	}
	return shares, nil
}

// Combine reconstructs the secret from shares by interpolation at x = 0.
// Any t shares of a Split with threshold t (more are fine) give the
// secret; fewer, or shares of different splits, give unrelated bytes, and
// Combine cannot tell: check the result (internal/seal keeps a key check
// value). Shares with X = 0, repeated X or unequal lengths are ErrShares.
// The caller zeroes the result.
func Combine(shares []Share) ([]byte, error) {
	if len(shares) == 0 {
		return nil, fmt.Errorf("%w: none given", ErrShares)
	}
	size := len(shares[0].Y)
	if size == 0 {
		return nil, fmt.Errorf("%w: empty share", ErrShares)
	}
	var seen [256]bool
	for _, s := range shares {
		if s.X == 0 {
			return nil, fmt.Errorf("%w: x-coordinate 0", ErrShares)
		}
		if seen[s.X] { // X is public: indexing by it leaks nothing
			return nil, fmt.Errorf("%w: x-coordinate %d given twice", ErrShares, s.X)
		}
		seen[s.X] = true
		if len(s.Y) != size {
			return nil, fmt.Errorf("%w: shares of %d and %d bytes", ErrShares, size, len(s.Y))
		}
	}
	secret := make([]byte, size)
	for i, si := range shares {
		// The Lagrange basis polynomial of share i at 0:
		// l_i = prod_{j != i} x_j / (x_j - x_i), where - is XOR.
		l := byte(1)
		for j, sj := range shares {
			if i != j {
				l = mul(l, div(sj.X, sj.X^si.X))
			}
		}
		for k, y := range si.Y {
			secret[k] ^= mul(y, l)
		}
	}
	return secret, nil
}
