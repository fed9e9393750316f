package shamir

import "testing"

// refMul multiplies in GF(2^8) the schoolbook way: a carry-less product,
// then reduction modulo 0x11b bit by bit. It branches freely: it is the
// reference, not the implementation.
func refMul(a, b byte) byte {
	var p uint16
	for i := 0; i < 8; i++ {
		if b&(1<<i) != 0 {
			p ^= uint16(a) << i
		}
	}
	for i := 15; i >= 8; i-- {
		if p&(1<<i) != 0 {
			p ^= 0x11b << (i - 8)
		}
	}
	return byte(p)
}

func TestMulKnownAnswers(t *testing.T) {
	tests := []struct{ a, b, want byte }{
		{0x53, 0xca, 0x01}, // the inverse pair of FIPS 197, section 4.2
		{0x57, 0x83, 0xc1}, // FIPS 197, section 4.2
		{0x57, 0x13, 0xfe}, // FIPS 197, section 4.2.1
		{0x57, 0x02, 0xae},
		{0x57, 0x04, 0x47},
		{0x57, 0x08, 0x8e},
		{0x57, 0x10, 0x07},
		{0x00, 0xff, 0x00},
		{0x01, 0xff, 0xff},
		{0x02, 0x80, 0x1b}, // x · x^7 = x^8 = x^4 + x^3 + x + 1
	}
	for _, tt := range tests {
		if got := mul(tt.a, tt.b); got != tt.want {
			t.Errorf("mul(%#02x, %#02x) = %#02x, want %#02x", tt.a, tt.b, got, tt.want)
		}
		if got := mul(tt.b, tt.a); got != tt.want {
			t.Errorf("mul(%#02x, %#02x) = %#02x, want %#02x", tt.b, tt.a, got, tt.want)
		}
		if got := refMul(tt.a, tt.b); got != tt.want {
			t.Errorf("refMul(%#02x, %#02x) = %#02x, want %#02x", tt.a, tt.b, got, tt.want)
		}
	}
}

func TestMulMatchesReference(t *testing.T) {
	for a := 0; a < 256; a++ {
		for b := 0; b < 256; b++ {
			if got, want := mul(byte(a), byte(b)), refMul(byte(a), byte(b)); got != want {
				t.Fatalf("mul(%#02x, %#02x) = %#02x, reference %#02x", a, b, got, want)
			}
		}
	}
}

// TestMulMatchesLogTables builds the exp and log tables of the generator
// 0x03 with the reference multiply and checks mul against them:
// a·b = exp[(log a + log b) mod 255].
func TestMulMatchesLogTables(t *testing.T) {
	var exp [255]byte
	var log [256]int
	seen := map[byte]bool{}
	v := byte(1)
	for i := range exp {
		if seen[v] {
			t.Fatalf("0x03 has order %d, not 255: not a generator", i)
		}
		seen[v] = true
		exp[i] = v
		log[v] = i
		v = refMul(v, 0x03)
	}
	if v != 1 {
		t.Fatalf("0x03^255 = %#02x, want 1", v)
	}
	for a := 1; a < 256; a++ {
		for b := 1; b < 256; b++ {
			want := exp[(log[a]+log[b])%255]
			if got := mul(byte(a), byte(b)); got != want {
				t.Fatalf("mul(%#02x, %#02x) = %#02x, tables say %#02x", a, b, got, want)
			}
		}
	}
}

func TestInv(t *testing.T) {
	if got := inv(0); got != 0 {
		t.Errorf("inv(0) = %#02x, want 0", got)
	}
	if got := inv(0x53); got != 0xca {
		t.Errorf("inv(0x53) = %#02x, want 0xca", got)
	}
	if got := inv(0x01); got != 0x01 {
		t.Errorf("inv(0x01) = %#02x, want 0x01", got)
	}
	for a := 1; a < 256; a++ {
		if got := refMul(byte(a), inv(byte(a))); got != 1 {
			t.Fatalf("a · inv(a) = %#02x for a = %#02x", got, a)
		}
		if got := div(byte(a), byte(a)); got != 1 {
			t.Fatalf("div(a, a) = %#02x for a = %#02x", got, a)
		}
	}
}
