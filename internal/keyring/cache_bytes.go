package keyring

// DefaultCacheBytes is the byte budget of a keyring's material cache when
// Options.CacheBytes is zero: 128 MiB, which holds the default count of
// symmetric keys (about 1.2 KiB each) and caps keys that cost far more: a
// count bound alone lets 100,000 ML-DSA-87 keys take 12 GiB.
const DefaultCacheBytes = 128 << 20

// materialCost is the approximate heap a cached material of spec s takes:
// TestMaterialMemory's measurement of the parsed key, rounded up, plus
// the cache's own share (map entry, ring slot, material header, the spare
// HMAC clone of symmetric and HMAC keys). The test fails if a spec grows
// past its figure, so that the byte budget stays an upper bound.
func materialCost(s keySpec) int64 {
	const overhead = 256
	var parsed int64
	switch s {
	case specSymmetricDefault:
		parsed = 1024
	case specHMAC224, specHMAC256:
		parsed = 1024
	case specHMAC384, specHMAC512:
		parsed = 1536
	case specRSA2048:
		parsed = 6 << 10
	case specRSA3072:
		parsed = 7 << 10
	case specRSA4096:
		parsed = 9 << 10
	case specP256, specP384, specP521:
		parsed = 2 << 10
	case specSecp256k1, specEd25519:
		parsed = 1 << 10
	case specMLDSA44:
		parsed = 64 << 10
	case specMLDSA65:
		parsed = 96 << 10
	case specMLDSA87:
		parsed = 136 << 10
	case specMLKEM512:
		parsed = 8 << 10
	case specMLKEM768:
		parsed = 13 << 10
	case specMLKEM1024:
		parsed = 20 << 10
	default:
		parsed = 4 << 10
	}
	return parsed + overhead
}
