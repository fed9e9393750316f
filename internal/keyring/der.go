package keyring

import (
	"crypto/x509/pkix"
	"encoding/asn1"

	"github.com/decred/dcrd/dcrec/secp256k1/v4"
)

// DER encodings that crypto/x509 does not produce in Go 1.26: secp256k1
// (SEC 2) and the post-quantum algorithms. crypto/x509 handles RSA, the
// NIST curves and Ed25519.

var (
	// RFC 5480.
	oidECPublicKey = asn1.ObjectIdentifier{1, 2, 840, 10045, 2, 1}
	// SEC 2 secp256k1 (certicom-arc curve 10).
	oidSecp256k1 = asn1.ObjectIdentifier{1, 3, 132, 0, 10}
	// RFC 9881 (draft-ietf-lamps-dilithium-certificates): id-ml-dsa-44/65/87.
	oidMLDSA44 = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 3, 17}
	oidMLDSA65 = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 3, 18}
	oidMLDSA87 = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 3, 19}
	// RFC 9935 (draft-ietf-lamps-kyber-certificates): id-alg-ml-kem-512/768/1024.
	oidMLKEM512  = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 4, 1}
	oidMLKEM768  = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 4, 2}
	oidMLKEM1024 = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 4, 3}
)

// pqOID returns the algorithm OID of an ML-DSA or ML-KEM spec.
func pqOID(s keySpec) asn1.ObjectIdentifier {
	switch s {
	case specMLDSA44:
		return oidMLDSA44
	case specMLDSA65:
		return oidMLDSA65
	case specMLDSA87:
		return oidMLDSA87
	case specMLKEM512:
		return oidMLKEM512
	case specMLKEM768:
		return oidMLKEM768
	case specMLKEM1024:
		return oidMLKEM1024
	}
	panic("keyring: no OID for spec " + s.String())
}

type subjectPublicKeyInfo struct {
	Algorithm pkix.AlgorithmIdentifier
	PublicKey asn1.BitString
}

// marshalSPKI encodes a SubjectPublicKeyInfo with the algorithm's
// parameters absent (as the LAMPS RFCs require) and key as the BIT STRING.
func marshalSPKI(alg asn1.ObjectIdentifier, key []byte) []byte {
	return mustMarshal(subjectPublicKeyInfo{
		Algorithm: pkix.AlgorithmIdentifier{Algorithm: alg},
		PublicKey: asn1.BitString{Bytes: key, BitLength: 8 * len(key)},
	})
}

// secp256k1AlgID is id-ecPublicKey with the namedCurve secp256k1.
var secp256k1AlgID = pkix.AlgorithmIdentifier{
	Algorithm:  oidECPublicKey,
	Parameters: asn1.RawValue{FullBytes: mustMarshal(oidSecp256k1)},
}

// marshalSecp256k1SPKI encodes pub as RFC 5480 does for any named curve:
// id-ecPublicKey, the curve OID, the uncompressed point.
func marshalSecp256k1SPKI(pub *secp256k1.PublicKey) []byte {
	point := pub.SerializeUncompressed()
	return mustMarshal(subjectPublicKeyInfo{
		Algorithm: secp256k1AlgID,
		PublicKey: asn1.BitString{Bytes: point, BitLength: 8 * len(point)},
	})
}

// pkcs8 is RFC 5208's PrivateKeyInfo (RFC 5958 OneAsymmetricKey v1).
type pkcs8 struct {
	Version    int
	Algo       pkix.AlgorithmIdentifier
	PrivateKey []byte
}

// ecPrivateKey is RFC 5915's ECPrivateKey. Inside PKCS #8 the curve is in
// the AlgorithmIdentifier, so NamedCurveOID is left out, as crypto/x509
// does for the NIST curves.
type ecPrivateKey struct {
	Version       int
	PrivateKey    []byte
	NamedCurveOID asn1.ObjectIdentifier `asn1:"optional,explicit,tag:0"`
	PublicKey     asn1.BitString        `asn1:"optional,explicit,tag:1"`
}

// marshalSecp256k1PKCS8 encodes a secp256k1 private key as PKCS #8 with an
// RFC 5915 ECPrivateKey inside, the form OpenSSL reads. The result holds
// the scalar: the caller zeroes it after use. Intermediate copies of the
// scalar are zeroed here.
func marshalSecp256k1PKCS8(priv *secp256k1.PrivateKey) []byte {
	d := priv.Serialize()
	defer clear(d)
	point := priv.PubKey().SerializeUncompressed()
	inner := mustMarshal(ecPrivateKey{
		Version:    1,
		PrivateKey: d,
		PublicKey:  asn1.BitString{Bytes: point, BitLength: 8 * len(point)},
	})
	defer clear(inner)
	return mustMarshal(pkcs8{Algo: secp256k1AlgID, PrivateKey: inner})
}

// marshalMLKEMPKCS8 encodes an ML-KEM private key as PKCS #8 in the
// seed-only form of RFC 9935 (draft-ietf-lamps-kyber-certificates):
// privateKey is the DER of the CHOICE alternative seed [0] IMPLICIT OCTET
// STRING (SIZE (64)), i.e. 0x80 0x40 || d || z. This is the form AWS
// documents for ML-KEM data key pairs. The caller zeroes the result.
func marshalMLKEMPKCS8(s keySpec, seed []byte) []byte {
	inner := make([]byte, 0, 2+len(seed))
	inner = append(inner, 0x80, byte(len(seed)))
	inner = append(inner, seed...)
	defer clear(inner)
	return mustMarshal(pkcs8{Algo: pkix.AlgorithmIdentifier{Algorithm: pqOID(s)}, PrivateKey: inner})
}

// mustMarshal is asn1.Marshal of values built here, which cannot fail.
func mustMarshal(v any) []byte {
	b, err := asn1.Marshal(v)
	if err != nil {
		panic("keyring: asn1.Marshal: " + err.Error())
	}
	return b
}
