package symmetric_test

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/trentkms/trent/test/harness"
)

// captureBody is a client option that copies the raw HTTP response body
// into *dst.
func captureBody(dst *[]byte) func(*kms.Options) {
	return func(o *kms.Options) {
		o.HTTPClient = capturingClient{inner: o.HTTPClient, dst: dst}
	}
}

type capturingClient struct {
	inner kms.HTTPClient
	dst   *[]byte
}

func (c capturingClient) Do(r *http.Request) (*http.Response, error) {
	resp, err := c.inner.Do(r)
	if err != nil {
		return resp, err
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	*c.dst = b
	resp.Body = io.NopCloser(bytes.NewReader(b))
	return resp, nil
}

// wantDryRun checks for DryRunOperationException with AWS's message and
// HTTP 400, through smithy's ResponseError and the SDK's typed error.
func wantDryRun(t *testing.T, what string, err error) {
	t.Helper()
	wantErr(t, what, err, "DryRunOperationException", msgDryRun)
	if err == nil {
		return
	}
	var typed *types.DryRunOperationException
	if !errors.As(err, &typed) {
		t.Errorf("%s: error %T is not *types.DryRunOperationException", what, err)
	}
	var are *awshttp.ResponseError
	if !errors.As(err, &are) {
		t.Errorf("%s: error %T carries no awshttp.ResponseError", what, err)
	} else if are.Response == nil || are.Response.StatusCode != 400 {
		t.Errorf("%s: awshttp.ResponseError status %d, want 400", what, are.HTTPStatusCode())
	}
	var sre *smithyhttp.ResponseError
	if !errors.As(err, &sre) {
		t.Errorf("%s: error %T carries no smithyhttp.ResponseError", what, err)
	} else if sre.HTTPStatusCode() != 400 {
		t.Errorf("%s: smithyhttp.ResponseError status %d, want 400", what, sre.HTTPStatusCode())
	}
	var ae smithy.APIError
	if errors.As(err, &ae) && ae.ErrorFault() != smithy.FaultClient {
		t.Errorf("%s: fault %v, want client", what, ae.ErrorFault())
	}
}

// TestDryRun: each operation with DryRun says DryRunOperationException
// when it would succeed and gives the real error when it would not;
// nothing is produced.
func TestDryRun(t *testing.T) {
	t.Parallel()
	e := start(t, harness.Options{})
	k := e.newKey(t, "dry")
	other := e.newKey(t, "dry-other")
	ec := map[string]string{"dry": "run"}
	pt := []byte("dry run")
	blob := encrypt(t, e.c, k.id, pt, ec)
	yes := aws.Bool(true)
	ignore := []types.DryRunModifierType{types.DryRunModifierTypeIgnoreCiphertext}

	ops := []struct {
		name string
		call func() error
	}{
		{"Encrypt", func() error {
			out, err := e.c.Encrypt(t.Context(), &kms.EncryptInput{KeyId: aws.String(k.id), Plaintext: pt, EncryptionContext: ec, DryRun: yes})
			noOutput(t, "Encrypt", out, err)
			return err
		}},
		{"Decrypt", func() error {
			out, err := e.c.Decrypt(t.Context(), &kms.DecryptInput{CiphertextBlob: blob, EncryptionContext: ec, DryRun: yes})
			noOutput(t, "Decrypt", out, err)
			return err
		}},
		{"Decrypt with KeyId", func() error {
			_, err := e.c.Decrypt(t.Context(), &kms.DecryptInput{CiphertextBlob: blob, KeyId: aws.String(k.alias), EncryptionContext: ec, DryRun: yes})
			return err
		}},
		{"Decrypt IGNORE_CIPHERTEXT without CiphertextBlob", func() error {
			_, err := e.c.Decrypt(t.Context(), &kms.DecryptInput{KeyId: aws.String(k.id), DryRun: yes, DryRunModifiers: ignore})
			return err
		}},
		{"ReEncrypt", func() error {
			out, err := e.c.ReEncrypt(t.Context(), &kms.ReEncryptInput{CiphertextBlob: blob, SourceEncryptionContext: ec, DestinationKeyId: aws.String(other.id), DryRun: yes})
			noOutput(t, "ReEncrypt", out, err)
			return err
		}},
		{"ReEncrypt to itself", func() error {
			_, err := e.c.ReEncrypt(t.Context(), &kms.ReEncryptInput{CiphertextBlob: blob, SourceEncryptionContext: ec, DestinationKeyId: aws.String(k.id), DryRun: yes})
			return err
		}},
		{"GenerateDataKey", func() error {
			out, err := e.c.GenerateDataKey(t.Context(), &kms.GenerateDataKeyInput{KeyId: aws.String(k.id), KeySpec: types.DataKeySpecAes256, EncryptionContext: ec, DryRun: yes})
			noOutput(t, "GenerateDataKey", out, err)
			return err
		}},
		{"GenerateDataKeyWithoutPlaintext", func() error {
			out, err := e.c.GenerateDataKeyWithoutPlaintext(t.Context(), &kms.GenerateDataKeyWithoutPlaintextInput{KeyId: aws.String(k.id), NumberOfBytes: aws.Int32(32), DryRun: yes})
			noOutput(t, "GenerateDataKeyWithoutPlaintext", out, err)
			return err
		}},
	}
	for _, op := range ops {
		wantDryRun(t, op.name+" with DryRun on an enabled key", op.call())
	}

	// DryRun set to false is an ordinary call.
	if _, err := e.c.Encrypt(t.Context(), &kms.EncryptInput{KeyId: aws.String(k.id), Plaintext: pt, DryRun: aws.Bool(false)}); err != nil {
		t.Errorf("Encrypt with DryRun false: %v", err)
	}

	// The real error when the call would fail.
	_, err := e.c.Encrypt(t.Context(), &kms.EncryptInput{KeyId: aws.String(k.id), Plaintext: make([]byte, 4097), DryRun: yes})
	wantErr(t, "Encrypt DryRun of 4097 bytes", err, "ValidationException", msgPlaintextLong)
	_, err = e.c.Decrypt(t.Context(), &kms.DecryptInput{CiphertextBlob: blob, KeyId: aws.String(other.id), EncryptionContext: ec, DryRun: yes})
	wantErr(t, "Decrypt DryRun with another key's KeyId", err, "IncorrectKeyException", msgIncorrectKey)
	_, err = e.c.ReEncrypt(t.Context(), &kms.ReEncryptInput{CiphertextBlob: blob, SourceKeyId: aws.String(other.id), SourceEncryptionContext: ec, DestinationKeyId: aws.String(k.id), DryRun: yes})
	wantErr(t, "ReEncrypt DryRun with another key's SourceKeyId", err, "IncorrectKeyException", msgIncorrectKey)
	_, err = e.c.GenerateDataKey(t.Context(), &kms.GenerateDataKeyInput{KeyId: aws.String(k.id), NumberOfBytes: aws.Int32(0), DryRun: yes})
	wantErr(t, "GenerateDataKey DryRun NumberOfBytes 0", err, "ValidationException", validationMsg("'0'", "numberOfBytes", "Member must have value greater than or equal to 1"))
	_, err = e.c.Encrypt(t.Context(), &kms.EncryptInput{KeyId: aws.String("alias/missing"), Plaintext: pt, DryRun: yes})
	wantErr(t, "Encrypt DryRun to a missing alias", err, "NotFoundException", "Alias "+e.aliasARN("alias/missing")+" is not found.")
	_, err = e.c.Encrypt(t.Context(), &kms.EncryptInput{KeyId: aws.String(k.id), Plaintext: pt, EncryptionAlgorithm: types.EncryptionAlgorithmSpecRsaesOaepSha1, DryRun: yes})
	wantErrAny(t, "Encrypt DryRun with RSAES_OAEP_SHA_1 on a symmetric key", err, "InvalidKeyUsageException")

	if _, err := e.c.DisableKey(t.Context(), &kms.DisableKeyInput{KeyId: aws.String(k.id)}); err != nil {
		t.Fatalf("DisableKey: %v", err)
	}
	for _, op := range ops {
		wantErr(t, op.name+" with DryRun on a disabled key", op.call(), "DisabledException", k.arn+" is disabled.")
	}
	// ReEncrypt DryRun to the disabled key as destination.
	otherBlob := encrypt(t, e.c, other.id, pt, ec)
	_, err = e.c.ReEncrypt(t.Context(), &kms.ReEncryptInput{CiphertextBlob: otherBlob, SourceEncryptionContext: ec, DestinationKeyId: aws.String(k.id), DryRun: yes})
	wantErr(t, "ReEncrypt DryRun to a disabled destination", err, "DisabledException", k.arn+" is disabled.")
	if _, err := e.c.EnableKey(t.Context(), &kms.EnableKeyInput{KeyId: aws.String(k.id)}); err != nil {
		t.Fatalf("EnableKey: %v", err)
	}
	for _, op := range ops {
		wantDryRun(t, op.name+" with DryRun after EnableKey", op.call())
	}
}

// noOutput fails when a DryRun call returned output.
func noOutput[T any](t *testing.T, op string, out *T, err error) {
	t.Helper()
	if err == nil && out != nil {
		t.Errorf("%s with DryRun succeeded and returned output %+v", op, *out)
	}
}
