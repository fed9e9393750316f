package awsjson

import "encoding/binary"

// Fast paths for standard, padded base64 (RFC 4648 section 4). They handle
// only well-formed, canonical input and report anything else to the
// caller, which falls back to encoding/base64 (Strict, with CR and LF
// refused) so that errors stay exactly the standard library's.

const stdAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"

// b64bad is set in a decode table entry for a byte outside the alphabet.
const b64bad = 0xff000000

// decodeTables maps a character at position k of a quantum to its six bits
// already shifted into place in a 24-bit group, or to b64bad. They are
// computed once and never written again.
var decodeTables = func() (t [4][256]uint32) {
	for k := range t {
		for c := range t[k] {
			t[k][c] = b64bad
		}
	}
	for v := range len(stdAlphabet) {
		c := stdAlphabet[v]
		t[0][c] = uint32(v) << 18
		t[1][c] = uint32(v) << 12
		t[2][c] = uint32(v) << 6
		t[3][c] = uint32(v)
	}
	return t
}()

// decodeQuanta decodes the leading complete quanta of src that contain only
// alphabet characters into dst, stopping at the first quantum that does
// not or when dst is full. It returns the counts of bytes read and written.
// It writes only within len(dst): the eight-byte stores run while there is
// room for their two bytes of slack.
func decodeQuanta(dst, src []byte) (nr, nw int) {
	t0, t1, t2, t3 := &decodeTables[0], &decodeTables[1], &decodeTables[2], &decodeTables[3]
	s, d := src, dst
	for len(s) >= 16 && len(d) >= 14 {
		q := (*[16]byte)(s)
		v0 := t0[q[0]] | t1[q[1]] | t2[q[2]] | t3[q[3]]
		v1 := t0[q[4]] | t1[q[5]] | t2[q[6]] | t3[q[7]]
		v2 := t0[q[8]] | t1[q[9]] | t2[q[10]] | t3[q[11]]
		v3 := t0[q[12]] | t1[q[13]] | t2[q[14]] | t3[q[15]]
		if (v0|v1|v2|v3)&b64bad != 0 {
			break
		}
		binary.BigEndian.PutUint64(d, uint64(v0)<<40|uint64(v1)<<16)
		binary.BigEndian.PutUint64(d[6:], uint64(v2)<<40|uint64(v3)<<16)
		s, d = s[16:], d[12:]
	}
	for len(s) >= 4 && len(d) >= 3 {
		q := (*[4]byte)(s)
		v := t0[q[0]] | t1[q[1]] | t2[q[2]] | t3[q[3]]
		if v&b64bad != 0 {
			break
		}
		o := (*[3]byte)(d)
		o[0], o[1], o[2] = byte(v>>16), byte(v>>8), byte(v)
		s, d = s[4:], d[3:]
	}
	return len(src) - len(s), len(dst) - len(d)
}

// decodeTail decodes the final, padded quantum s ("xx==" or "xxx=") into
// dst, which has exactly the room for its one or two bytes. Like
// base64.StdEncoding.Strict it requires the unused low bits of the last
// character to be zero (RFC 4648 section 3.5). It returns false for
// anything else.
func decodeTail(dst, s []byte) bool {
	t := &decodeTables
	if len(s) != 4 || s[3] != '=' {
		return false
	}
	v := t[0][s[0]] | t[1][s[1]]
	if s[2] == '=' {
		if v&b64bad != 0 || v&0xffff != 0 || len(dst) != 1 {
			return false
		}
		dst[0] = byte(v >> 16)
		return true
	}
	v |= t[2][s[2]]
	if v&b64bad != 0 || v&0xff != 0 || len(dst) != 2 {
		return false
	}
	dst[0], dst[1] = byte(v>>16), byte(v>>8)
	return true
}

// encodePairs maps twelve bits to their two base64 characters, the first
// in the high byte. Computed once, never written again.
var encodePairs = func() (t [4096]uint16) {
	for i := range t {
		t[i] = uint16(stdAlphabet[i>>6])<<8 | uint16(stdAlphabet[i&0x3f])
	}
	return t
}()

// appendBase64 appends the standard, padded base64 encoding of src to dst,
// the same bytes base64.StdEncoding.AppendEncode appends.
func appendBase64(dst, src []byte) []byte {
	n := (len(src) + 2) / 3 * 4
	dst = grow(dst, n)
	t := &encodePairs
	s, o := src, dst[len(dst):len(dst)+n]
	// Sixteen characters from twelve bytes, read as two overlapping
	// eight-byte words: needs two spare source bytes.
	for len(s) >= 14 && len(o) >= 16 {
		x := binary.BigEndian.Uint64(s)
		y := binary.BigEndian.Uint64(s[6:])
		binary.BigEndian.PutUint64(o, uint64(t[x>>52])<<48|uint64(t[x>>40&0xfff])<<32|uint64(t[x>>28&0xfff])<<16|uint64(t[x>>16&0xfff]))
		binary.BigEndian.PutUint64(o[8:], uint64(t[y>>52])<<48|uint64(t[y>>40&0xfff])<<32|uint64(t[y>>28&0xfff])<<16|uint64(t[y>>16&0xfff]))
		s, o = s[12:], o[16:]
	}
	for len(s) >= 3 && len(o) >= 4 {
		v := uint(s[0])<<16 | uint(s[1])<<8 | uint(s[2])
		binary.BigEndian.PutUint32(o, uint32(t[v>>12])<<16|uint32(t[v&0xfff]))
		s, o = s[3:], o[4:]
	}
	switch {
	case len(s) == 1 && len(o) == 4:
		v := uint(s[0]) << 4
		binary.BigEndian.PutUint32(o, uint32(t[v])<<16|'='<<8|'=')
	case len(s) == 2 && len(o) == 4:
		v := uint(s[0])<<16 | uint(s[1])<<8
		o[0], o[1], o[2], o[3] = stdAlphabet[v>>18], stdAlphabet[v>>12&0x3f], stdAlphabet[v>>6&0x3f], '='
	}
	return dst[:len(dst)+n]
}

// grow returns dst with room for n more bytes.
func grow(dst []byte, n int) []byte {
	if cap(dst)-len(dst) >= n {
		return dst
	}
	nb := make([]byte, len(dst), 2*cap(dst)+n)
	copy(nb, dst)
	return nb
}
