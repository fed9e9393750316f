package asymmetric_test

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"
)

var macSpecs = []struct {
	spec types.KeySpec
	alg  types.MacAlgorithmSpec
	size int
}{
	{types.KeySpecHmac224, types.MacAlgorithmSpecHmacSha224, 28},
	{types.KeySpecHmac256, types.MacAlgorithmSpecHmacSha256, 32},
	{types.KeySpecHmac384, types.MacAlgorithmSpecHmacSha384, 48},
	{types.KeySpecHmac512, types.MacAlgorithmSpecHmacSha512, 64},
}

// TestHMAC: GenerateMac then VerifyMac for HMAC_224/256/384/512; a changed
// message or MAC is KMSInvalidMacException; an algorithm of another spec
// is InvalidKeyUsageException with AWS's recorded message.
func TestHMAC(t *testing.T) {
	t.Parallel()
	e := start(t)
	var reqs []keyReq
	for _, c := range macSpecs {
		reqs = append(reqs, keyReq{c.spec, types.KeyUsageTypeGenerateVerifyMac})
	}
	keys := e.createKeys(t, reqs...)
	msg := []byte("some important message")

	for _, c := range macSpecs {
		k := keys[keyReq{c.spec, types.KeyUsageTypeGenerateVerifyMac}]
		t.Run(string(c.spec), func(t *testing.T) {
			t.Parallel()
			gen := func(alg types.MacAlgorithmSpec, m []byte) (*kms.GenerateMacOutput, error) {
				return e.c.GenerateMac(t.Context(), &kms.GenerateMacInput{KeyId: aws.String(k.id), MacAlgorithm: alg, Message: m})
			}
			verify := func(alg types.MacAlgorithmSpec, m, mac []byte) (*kms.VerifyMacOutput, error) {
				return e.c.VerifyMac(t.Context(), &kms.VerifyMacInput{KeyId: aws.String(k.id), MacAlgorithm: alg, Message: m, Mac: mac})
			}
			out, err := gen(c.alg, msg)
			if err != nil {
				t.Fatalf("GenerateMac(%s, %s): %v", c.spec, c.alg, err)
			}
			mac := out.Mac
			if len(mac) != c.size || aws.ToString(out.KeyId) != k.arn || out.MacAlgorithm != c.alg {
				t.Errorf("GenerateMac(%s) = %d-byte MAC, KeyId %q, MacAlgorithm %q; want %d bytes, %q, %q", c.spec, len(mac), aws.ToString(out.KeyId), out.MacAlgorithm, c.size, k.arn, c.alg)
			}
			// HMAC is deterministic; another message gives another MAC.
			if again, err := gen(c.alg, msg); err != nil || !bytes.Equal(again.Mac, mac) {
				t.Errorf("GenerateMac(%s) twice: %v, same MAC %v; want the same MAC", c.spec, err, err == nil && bytes.Equal(again.Mac, mac))
			}
			if other, err := gen(c.alg, []byte("another message")); err != nil || bytes.Equal(other.Mac, mac) {
				t.Errorf("GenerateMac(%s) of another message: err %v, want a different MAC", c.spec, err)
			}

			v, err := verify(c.alg, msg, mac)
			if err != nil {
				t.Errorf("VerifyMac(%s) of GenerateMac's MAC: %v", c.spec, err)
			} else if !v.MacValid || aws.ToString(v.KeyId) != k.arn || v.MacAlgorithm != c.alg {
				t.Errorf("VerifyMac(%s) = MacValid %v KeyId %q MacAlgorithm %q; want true %q %q", c.spec, v.MacValid, aws.ToString(v.KeyId), v.MacAlgorithm, k.arn, c.alg)
			}
			_, err = verify(c.alg, []byte("some different important message"), mac)
			wantErr(t, fmt.Sprintf("VerifyMac(%s) of a changed message", c.spec), err, "KMSInvalidMacException", "")
			for _, i := range []int{0, len(mac) / 2, len(mac) - 1} {
				_, err = verify(c.alg, msg, flipBit(mac, i))
				wantErr(t, fmt.Sprintf("VerifyMac(%s) of a MAC with byte %d changed", c.spec, i), err, "KMSInvalidMacException", "")
			}
			_, err = verify(c.alg, msg, mac[:len(mac)-1])
			wantErr(t, fmt.Sprintf("VerifyMac(%s) of a truncated MAC", c.spec), err, "KMSInvalidMacException", "")
			_, err = verify(c.alg, msg, append(bytes.Clone(mac), 0))
			wantErr(t, fmt.Sprintf("VerifyMac(%s) of a MAC with a byte appended", c.spec), err, "KMSInvalidMacException", "")

			// Every other algorithm: AWS's recorded message.
			for _, o := range macSpecs {
				if o.alg == c.alg {
					continue
				}
				want := fmt.Sprintf("Algorithm %s is incompatible with key spec %s.", o.alg, c.spec)
				_, err := gen(o.alg, msg)
				wantErr(t, fmt.Sprintf("GenerateMac(%s, %s)", c.spec, o.alg), err, "InvalidKeyUsageException", want)
				_, err = verify(o.alg, msg, mac)
				wantErr(t, fmt.Sprintf("VerifyMac(%s, %s)", c.spec, o.alg), err, "InvalidKeyUsageException", want)
			}

			// Message size 1-4096.
			if _, err := gen(c.alg, make([]byte, 4096)); err != nil {
				t.Errorf("GenerateMac of 4096 bytes: %v", err)
			}
			_, err = gen(c.alg, make([]byte, 4097))
			wantErrCode(t, "GenerateMac of 4097 bytes", err, "ValidationException")
		})
	}

	t.Run("key usage", func(t *testing.T) {
		t.Parallel()
		sign := e.createKey(t, types.KeySpecEccNistP256, types.KeyUsageTypeSignVerify)
		_, err := e.c.GenerateMac(t.Context(), &kms.GenerateMacInput{KeyId: aws.String(sign.id), MacAlgorithm: types.MacAlgorithmSpecHmacSha256, Message: msg})
		wantErr(t, "GenerateMac with a SIGN_VERIFY key", err, "InvalidKeyUsageException", sign.arn+" key usage is SIGN_VERIFY which is not valid for GenerateMac.")
		_, err = e.c.VerifyMac(t.Context(), &kms.VerifyMacInput{KeyId: aws.String(sign.id), MacAlgorithm: types.MacAlgorithmSpecHmacSha256, Message: msg, Mac: make([]byte, 32)})
		wantErr(t, "VerifyMac with a SIGN_VERIFY key", err, "InvalidKeyUsageException", sign.arn+" key usage is SIGN_VERIFY which is not valid for VerifyMac.")
		h := keys[reqs[1]]
		_, err = e.c.Sign(t.Context(), &kms.SignInput{KeyId: aws.String(h.id), Message: msg, SigningAlgorithm: types.SigningAlgorithmSpecEcdsaSha256})
		wantErr(t, "Sign with an HMAC key", err, "InvalidKeyUsageException", h.arn+" key usage is GENERATE_VERIFY_MAC which is not valid for Sign.")
	})

	// AWS's recorded message lists the enum in its own (hash set) order.
	t.Run("unknown algorithm", func(t *testing.T) {
		t.Parallel()
		k := keys[reqs[1]]
		want := "1 validation error detected: Value 'INVALID' at 'macAlgorithm' failed to satisfy constraint: Member must satisfy enum value set: [HMAC_SHA_384, HMAC_SHA_256, HMAC_SHA_224, HMAC_SHA_512]"
		_, err := e.c.GenerateMac(t.Context(), &kms.GenerateMacInput{KeyId: aws.String(k.id), MacAlgorithm: "INVALID", Message: msg})
		wantErr(t, "GenerateMac(HMAC_256, INVALID)", err, "ValidationException", want)
		_, err = e.c.VerifyMac(t.Context(), &kms.VerifyMacInput{KeyId: aws.String(k.id), MacAlgorithm: "INVALID", Message: msg, Mac: make([]byte, 32)})
		wantErr(t, "VerifyMac(HMAC_256, INVALID)", err, "ValidationException", want)
	})

	t.Run("disabled key", func(t *testing.T) {
		t.Parallel()
		k := e.createKey(t, types.KeySpecHmac384, types.KeyUsageTypeGenerateVerifyMac)
		if _, err := e.c.DisableKey(t.Context(), &kms.DisableKeyInput{KeyId: aws.String(k.id)}); err != nil {
			t.Fatalf("DisableKey: %v", err)
		}
		_, err := e.c.GenerateMac(t.Context(), &kms.GenerateMacInput{KeyId: aws.String(k.id), MacAlgorithm: types.MacAlgorithmSpecHmacSha384, Message: msg})
		wantErr(t, "GenerateMac with a disabled key", err, "DisabledException", k.arn+" is disabled.")
		_, err = e.c.VerifyMac(t.Context(), &kms.VerifyMacInput{KeyId: aws.String(k.id), MacAlgorithm: types.MacAlgorithmSpecHmacSha384, Message: msg, Mac: make([]byte, 48)})
		wantErr(t, "VerifyMac with a disabled key", err, "DisabledException", k.arn+" is disabled.")
	})
}
