package shamir

import (
	"bytes"
	"crypto/rand"
	"errors"
	"testing"
)

func TestSplitKnownAnswer(t *testing.T) {
	// f(x) = 0x53 + 0xca·x: f(1) = 0x99, f(2) = 0x53 + 0x8f = 0xdc,
	// f(3) = 0x53 + (0x8f + 0xca) = 0x16, worked out by hand.
	shares, err := Split([]byte{0x53}, 3, 2, bytes.NewReader([]byte{0xca}))
	if err != nil {
		t.Fatal(err)
	}
	want := []Share{{1, []byte{0x99}}, {2, []byte{0xdc}}, {3, []byte{0x16}}}
	for i := range want {
		if shares[i].X != want[i].X || !bytes.Equal(shares[i].Y, want[i].Y) {
			t.Errorf("share %d = %d:%x, want %d:%x", i, shares[i].X, shares[i].Y, want[i].X, want[i].Y)
		}
	}
	for _, pair := range [][]Share{{want[0], want[1]}, {want[1], want[2]}, {want[2], want[0]}} {
		got, err := Combine(pair)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, []byte{0x53}) {
			t.Errorf("Combine(%d, %d) = %x, want 53", pair[0].X, pair[1].X, got)
		}
	}
}

// TestSplitMatchesReferencePolynomial evaluates the polynomials Split
// must use with the reference multiply, for a threshold of 3.
func TestSplitMatchesReferencePolynomial(t *testing.T) {
	secret := []byte{0x00, 0x7f, 0xff}
	coef := []byte{0x11, 0x22, 0x33, 0x44, 0x55, 0x66} // (c1, c2) per secret byte
	shares, err := Split(secret, 5, 3, bytes.NewReader(coef))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range shares {
		for j := range secret {
			c1, c2 := coef[2*j], coef[2*j+1]
			want := secret[j] ^ refMul(c1, s.X) ^ refMul(c2, refMul(s.X, s.X))
			if s.Y[j] != want {
				t.Errorf("share x=%d byte %d = %#02x, want %#02x", s.X, j, s.Y[j], want)
			}
		}
	}
}

// subsets calls f with every subset of shares of size k.
func subsets(shares []Share, k int, f func([]Share)) {
	var rec func(start int, cur []Share)
	rec = func(start int, cur []Share) {
		if len(cur) == k {
			f(append([]Share(nil), cur...))
			return
		}
		for i := start; i < len(shares); i++ {
			rec(i+1, append(cur, shares[i]))
		}
	}
	rec(0, nil)
}

func TestAnyThresholdSubsetReconstructs(t *testing.T) {
	for _, p := range []struct{ n, t int }{{1, 1}, {2, 2}, {3, 2}, {5, 3}, {6, 6}, {7, 4}} {
		secret := make([]byte, 32)
		rand.Read(secret)
		shares, err := Split(secret, p.n, p.t, nil)
		if err != nil {
			t.Fatal(err)
		}
		for k := p.t; k <= p.n; k++ {
			subsets(shares, k, func(sub []Share) {
				got, err := Combine(sub)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(got, secret) {
					t.Errorf("n=%d t=%d: %d shares did not reconstruct the secret", p.n, p.t, k)
				}
			})
		}
		if p.t > 1 {
			subsets(shares, p.t-1, func(sub []Share) {
				got, _ := Combine(sub)
				if bytes.Equal(got, secret) {
					t.Errorf("n=%d t=%d: %d shares reconstructed the secret", p.n, p.t, p.t-1)
				}
			})
		}
	}
}

func TestMaxShares(t *testing.T) {
	secret := []byte("a 255-share secret")
	shares, err := Split(secret, 255, 255, nil)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Combine(shares)
	if err != nil || !bytes.Equal(got, secret) {
		t.Fatalf("Combine of 255 shares: %x, %v", got, err)
	}
}

func TestSplitParameters(t *testing.T) {
	for _, p := range []struct{ n, t, size int }{
		{0, 0, 32}, {3, 0, 32}, {3, 4, 32}, {3, 1, 32}, {256, 2, 32}, {3, 2, 0}, {-1, 2, 32},
	} {
		if _, err := Split(make([]byte, p.size), p.n, p.t, nil); !errors.Is(err, ErrParameters) {
			t.Errorf("Split(n=%d, t=%d, %d bytes): err = %v, want ErrParameters", p.n, p.t, p.size, err)
		}
	}
	if _, err := Split(make([]byte, 32), 3, 2, bytes.NewReader(make([]byte, 5))); err == nil {
		t.Error("Split with a short random source succeeded")
	}
}

func TestCombineErrors(t *testing.T) {
	y := []byte{1, 2}
	for name, shares := range map[string][]Share{
		"none":       nil,
		"x zero":     {{0, y}, {1, y}},
		"repeated x": {{1, y}, {1, y}},
		"lengths":    {{1, y}, {2, []byte{1}}},
		"empty":      {{1, nil}, {2, nil}},
	} {
		if _, err := Combine(shares); !errors.Is(err, ErrShares) {
			t.Errorf("%s: err = %v, want ErrShares", name, err)
		}
	}
}
