package keyring

import (
	"crypto/subtle"
	"encoding/asn1"
	"fmt"
)

// Imported ECC private keys. AWS takes asymmetric material as the PKCS #8
// DER of the private key (RFC 5208 PrivateKeyInfo with an RFC 5915
// ECPrivateKey inside, what `openssl genpkey ... | openssl pkcs8 -topk8
// -outform der -nocrypt` writes). crypto/x509 parses only the NIST
// curves, so the structure is read here, the same way for secp256k1.

// RFC 5480 named curves.
var (
	oidP256 = asn1.ObjectIdentifier{1, 2, 840, 10045, 3, 1, 7}
	oidP384 = asn1.ObjectIdentifier{1, 3, 132, 0, 34}
	oidP521 = asn1.ObjectIdentifier{1, 3, 132, 0, 35}
)

// curveOID returns the named-curve OID of an ECC spec (nil for others).
func curveOID(s keySpec) asn1.ObjectIdentifier {
	switch s {
	case specP256:
		return oidP256
	case specP384:
		return oidP384
	case specP521:
		return oidP521
	case specSecp256k1:
		return oidSecp256k1
	}
	return nil
}

// importECPrivateKey checks that raw is the PKCS #8 DER of an EC private
// key on the curve of spec s (the curve named in the AlgorithmIdentifier
// and, when present, in the ECPrivateKey too; the public key, when
// present, must be the scalar's) and returns the scalar left-padded to the
// curve size, the stored form (keymaterial.go); the caller clears it.
// Every failure wraps ErrInvalidKeyMaterial and quotes no key bytes.
func importECPrivateKey(s keySpec, raw []byte) ([]byte, error) {
	bad := func(why string) error {
		return fmt.Errorf("keyring: %s key material: %s: %w", s, why, ErrInvalidKeyMaterial)
	}
	var p pkcs8
	rest, err := asn1.Unmarshal(raw, &p)
	if err != nil || len(rest) != 0 {
		return nil, bad("not a PKCS #8 private key")
	}
	defer clear(p.PrivateKey)
	if p.Version != 0 && p.Version != 1 {
		return nil, bad("PKCS #8 version is not 0 or 1")
	}
	if !p.Algo.Algorithm.Equal(oidECPublicKey) {
		return nil, bad("not an EC key")
	}
	var curve asn1.ObjectIdentifier
	if rest, err := asn1.Unmarshal(p.Algo.Parameters.FullBytes, &curve); err != nil || len(rest) != 0 {
		return nil, bad("no named curve")
	}
	want := curveOID(s)
	if !curve.Equal(want) {
		return nil, bad(fmt.Sprintf("curve %v, want %v", curve, want))
	}
	var ec ecPrivateKey
	rest, err = asn1.Unmarshal(p.PrivateKey, &ec)
	if err != nil || len(rest) != 0 {
		return nil, bad("not an RFC 5915 ECPrivateKey")
	}
	defer clear(ec.PrivateKey)
	if ec.Version != 1 {
		return nil, bad("ECPrivateKey version is not 1")
	}
	if len(ec.NamedCurveOID) != 0 && !ec.NamedCurveOID.Equal(want) {
		return nil, bad("the ECPrivateKey names another curve")
	}
	size := s.info().keyLen
	if len(ec.PrivateKey) == 0 || len(ec.PrivateKey) > size {
		return nil, bad(fmt.Sprintf("scalar of %d bytes", len(ec.PrivateKey)))
	}
	scalar := make([]byte, size)
	copy(scalar[size-len(ec.PrivateKey):], ec.PrivateKey)
	a, err := parseAsymKey(s, scalar)
	if err != nil {
		clear(scalar)
		return nil, err
	}
	defer a.zero()
	if pub := ec.PublicKey.RightAlign(); len(pub) != 0 {
		var uncompressed, compressed []byte
		if a.k1Pub != nil {
			uncompressed, compressed = a.k1Pub.SerializeUncompressed(), a.k1Pub.SerializeCompressed()
		} else {
			uncompressed = a.ecdhPr.PublicKey().Bytes()
			compressed = compressPoint(uncompressed)
		}
		if subtle.ConstantTimeCompare(pub, uncompressed) != 1 && subtle.ConstantTimeCompare(pub, compressed) != 1 {
			clear(scalar)
			return nil, bad("the public key is not the private key's")
		}
	}
	return scalar, nil
}

// compressPoint returns the SEC 1 compressed form of an uncompressed
// point 0x04 | X | Y.
func compressPoint(u []byte) []byte {
	n := (len(u) - 1) / 2
	c := make([]byte, 1+n)
	c[0] = 0x02 | u[len(u)-1]&1
	copy(c[1:], u[1:1+n])
	return c
}
