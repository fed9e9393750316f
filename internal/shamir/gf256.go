package shamir

// Arithmetic in GF(2^8) with the AES reduction polynomial
// x^8 + x^4 + x^3 + x + 1 (0x11b, FIPS 197 section 4). Addition is XOR.
//
// Shares and secrets are secret bytes, so no operation here branches on
// an operand or indexes memory with one: mul is a fixed loop of eight
// masked steps (no log/exp tables, whose lookups would leak the operands
// through the cache), and inv is a fixed chain of multiplications.

// mul returns a·b in GF(2^8), in constant time.
func mul(a, b byte) byte {
	var p byte
	for range 8 {
		p ^= a & -(b & 1) // add a when b's low bit is set
		b >>= 1
		a = a<<1 ^ 0x1b&-(a>>7) // multiply a by x, reducing by 0x11b when x^8 appears
	}
	return p
}

// inv returns the multiplicative inverse of a (a^254, since a^255 = 1 for
// every a != 0), and 0 for 0, in constant time.
func inv(a byte) byte {
	// 254 = 0b11111110: a^2, a^4, ..., a^128 multiplied together.
	a2 := mul(a, a)
	r := a2
	sq := a2
	for range 6 {
		sq = mul(sq, sq)
		r = mul(r, sq)
	}
	return r
}

// div returns a/b; b must not be 0 (callers divide by public, distinct,
// non-zero x-coordinates' sums only).
func div(a, b byte) byte { return mul(a, inv(b)) }
