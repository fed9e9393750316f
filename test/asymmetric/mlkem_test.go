package asymmetric_test

import (
	"bytes"
	"crypto/mlkem"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/cloudflare/circl/kem/mlkem/mlkem512"
)

var mlkemSpecs = []struct {
	spec   types.KeySpec
	ctSize int
}{
	{types.KeySpecMlKem512, 768},
	{types.KeySpecMlKem768, 1088},
	{types.KeySpecMlKem1024, 1568},
}

// encapsulateOutside encapsulates to a raw ML-KEM encapsulation key with
// crypto/mlkem (768, 1024) or circl (512).
func encapsulateOutside(t *testing.T, spec string, ek []byte) (secret, ct []byte) {
	t.Helper()
	switch spec {
	case "ML_KEM_512":
		sch := mlkem512.Scheme()
		pk, err := sch.UnmarshalBinaryPublicKey(ek)
		if err != nil {
			t.Fatalf("circl ML-KEM-512 rejects the encapsulation key: %v", err)
		}
		ct, ss, err := sch.Encapsulate(pk)
		if err != nil {
			t.Fatalf("circl Encapsulate: %v", err)
		}
		return ss, ct
	case "ML_KEM_768":
		k, err := mlkem.NewEncapsulationKey768(ek)
		if err != nil {
			t.Fatalf("crypto/mlkem rejects the ML-KEM-768 encapsulation key: %v", err)
		}
		ss, ct := k.Encapsulate()
		return ss, ct
	case "ML_KEM_1024":
		k, err := mlkem.NewEncapsulationKey1024(ek)
		if err != nil {
			t.Fatalf("crypto/mlkem rejects the ML-KEM-1024 encapsulation key: %v", err)
		}
		ss, ct := k.Encapsulate()
		return ss, ct
	}
	t.Fatalf("not ML-KEM: %s", spec)
	return nil, nil
}

// TestMLKEM: Encapsulate then Decapsulate give one 32-byte secret; the
// ciphertext sizes are FIPS 203's; a wrong-length ciphertext is
// InvalidCiphertextException; a ciphertext made outside to Trent's public
// key decapsulates in Trent to the secret made outside.
func TestMLKEM(t *testing.T) {
	t.Parallel()
	e := start(t)
	var reqs []keyReq
	for _, c := range mlkemSpecs {
		reqs = append(reqs, keyReq{c.spec, types.KeyUsageTypeEncapsulateDecapsulate})
	}
	keys := e.createKeys(t, reqs...)

	for i, c := range mlkemSpecs {
		k := keys[reqs[i]]
		t.Run(string(c.spec), func(t *testing.T) {
			t.Parallel()
			decap := func(ct []byte) (*kms.DecapsulateOutput, error) {
				return e.c.Decapsulate(t.Context(), &kms.DecapsulateInput{KeyId: aws.String(k.id), EncapsulationAlgorithm: types.EncapsulationAlgorithmSpecMlKem, SharedSecretCiphertextBlob: ct})
			}
			out, err := e.c.Encapsulate(t.Context(), &kms.EncapsulateInput{KeyId: aws.String(k.id), EncapsulationAlgorithm: types.EncapsulationAlgorithmSpecMlKem})
			if err != nil {
				t.Fatalf("Encapsulate(%s): %v", c.spec, err)
			}
			if len(out.SharedSecret) != 32 || len(out.SharedSecretCiphertextBlob) != c.ctSize {
				t.Errorf("Encapsulate(%s): secret of %d bytes, ciphertext of %d; want 32 and %d", c.spec, len(out.SharedSecret), len(out.SharedSecretCiphertextBlob), c.ctSize)
			}
			if aws.ToString(out.KeyId) != k.arn || out.EncapsulationAlgorithm != types.EncapsulationAlgorithmSpecMlKem {
				t.Errorf("Encapsulate(%s): KeyId %q EncapsulationAlgorithm %q", c.spec, aws.ToString(out.KeyId), out.EncapsulationAlgorithm)
			}
			d, err := decap(out.SharedSecretCiphertextBlob)
			if err != nil {
				t.Fatalf("Decapsulate(%s) of Encapsulate's ciphertext: %v", c.spec, err)
			}
			if !bytes.Equal(d.SharedSecret, out.SharedSecret) {
				t.Errorf("Decapsulate(%s) = %x, want Encapsulate's secret %x", c.spec, d.SharedSecret, out.SharedSecret)
			}
			if aws.ToString(d.KeyId) != k.arn || d.EncapsulationAlgorithm != types.EncapsulationAlgorithmSpecMlKem {
				t.Errorf("Decapsulate(%s): KeyId %q EncapsulationAlgorithm %q", c.spec, aws.ToString(d.KeyId), d.EncapsulationAlgorithm)
			}

			// Outside encapsulation to Trent's public key.
			ek := checkPublicKey(t, "GetPublicKey", string(c.spec), e.publicKey(t, k).PublicKey).([]byte)
			ss, ct := encapsulateOutside(t, string(c.spec), ek)
			if d, err := decap(ct); err != nil {
				t.Errorf("Decapsulate(%s) of an outside ciphertext: %v", c.spec, err)
			} else if !bytes.Equal(d.SharedSecret, ss) {
				t.Errorf("Decapsulate(%s) of an outside ciphertext = %x, want the outside secret %x", c.spec, d.SharedSecret, ss)
			}

			// Implicit rejection: a changed ciphertext gives another secret.
			if d, err := decap(flipBit(out.SharedSecretCiphertextBlob, 100)); err != nil {
				t.Errorf("Decapsulate(%s) of a changed ciphertext: %v, want a (pseudo-random) secret", c.spec, err)
			} else if len(d.SharedSecret) != 32 || bytes.Equal(d.SharedSecret, out.SharedSecret) {
				t.Errorf("Decapsulate(%s) of a changed ciphertext: %d-byte secret equal to the original: %v", c.spec, len(d.SharedSecret), bytes.Equal(d.SharedSecret, out.SharedSecret))
			}
			for _, n := range []int{c.ctSize - 1, c.ctSize + 1, 1} {
				ct := make([]byte, n)
				copy(ct, out.SharedSecretCiphertextBlob)
				_, err := decap(ct)
				wantErrCode(t, fmt.Sprintf("Decapsulate(%s) of a %d-byte ciphertext", c.spec, n), err, "InvalidCiphertextException")
			}
		})
	}

	t.Run("key usage", func(t *testing.T) {
		t.Parallel()
		k := keys[reqs[1]]
		_, err := e.c.Sign(t.Context(), &kms.SignInput{KeyId: aws.String(k.id), Message: []byte("m"), SigningAlgorithm: types.SigningAlgorithmSpecMlDsaShake256})
		wantErr(t, "Sign with an ML_KEM key", err, "InvalidKeyUsageException", k.arn+" key usage is ENCAPSULATE_DECAPSULATE which is not valid for Sign.")
		sym := e.createKey(t, types.KeySpecSymmetricDefault, "")
		_, err = e.c.Encapsulate(t.Context(), &kms.EncapsulateInput{KeyId: aws.String(sym.id), EncapsulationAlgorithm: types.EncapsulationAlgorithmSpecMlKem})
		wantErr(t, "Encapsulate with a symmetric key", err, "InvalidKeyUsageException", sym.arn+" key usage is ENCRYPT_DECRYPT which is not valid for Encapsulate.")
	})
}
