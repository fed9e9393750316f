package kmsapi

import (
	"errors"
	"strings"
	"testing"
)

func ptr[T any](v T) *T { return &v }

// TestValidateMessages checks Validate's messages: those recorded from
// AWS KMS (marked aws), and the formats for the other constraints.
func TestValidateMessages(t *testing.T) {
	const one = "1 validation error detected: "
	long := strings.Repeat("a", 129)
	for _, c := range []struct {
		name string
		in   Input
		want string // "" for valid
	}{
		{"aws: numberOfBytes min", &GenerateRandomRequest{NumberOfBytes: ptr(0)},
			one + "Value '0' at 'numberOfBytes' failed to satisfy constraint: Member must have value greater than or equal to 1"},
		{"aws: numberOfBytes max", &GenerateRandomRequest{NumberOfBytes: ptr(1025)},
			one + "Value '1025' at 'numberOfBytes' failed to satisfy constraint: Member must have value less than or equal to 1024"},
		{"aws: tag key length", &CreateKeyRequest{Tags: []Tag{{TagKey: &long, TagValue: ptr("v")}}},
			one + "Value '" + long + "' at 'tags.1.member.tagKey' failed to satisfy constraint: Member must have length less than or equal to 128"},
		{"aws: tag value length", &CreateKeyRequest{Tags: []Tag{{TagKey: ptr("k"), TagValue: ptr(strings.Repeat("v", 257))}}},
			one + "Value '" + strings.Repeat("v", 257) + "' at 'tags.1.member.tagValue' failed to satisfy constraint: Member must have length less than or equal to 256"},
		{"aws: plaintext is sensitive", &EncryptRequest{KeyId: ptr("k"), Plaintext: make([]byte, 4097)},
			one + "Value at 'plaintext' failed to satisfy constraint: Member must have length less than or equal to 4096"},
		{"aws: mac algorithm enum, AWS's order", &GenerateMacRequest{KeyId: ptr("k"), Message: []byte{1}, MacAlgorithm: ptr("INVALID")},
			one + "Value 'INVALID' at 'macAlgorithm' failed to satisfy constraint: Member must satisfy enum value set: [HMAC_SHA_384, HMAC_SHA_256, HMAC_SHA_224, HMAC_SHA_512]"},
		{"aws: key agreement enum", &DeriveSharedSecretRequest{KeyId: ptr("k"), KeyAgreementAlgorithm: ptr("INVALID"), PublicKey: []byte{1}},
			one + "Value 'INVALID' at 'keyAgreementAlgorithm' failed to satisfy constraint: Member must satisfy enum value set: [ECDH]"},
		{"valid encrypt", &EncryptRequest{KeyId: ptr("alias/x"), Plaintext: []byte("p"), GrantTokens: []string{"t"}, EncryptionAlgorithm: ptr("SYMMETRIC_DEFAULT")}, ""},
		{"valid encapsulate", &EncapsulateRequest{KeyId: ptr("k"), EncapsulationAlgorithm: ptr("ML_KEM")}, ""},
		{"required, in member order", &DecapsulateRequest{},
			"3 validation errors detected: Value null at 'keyId' failed to satisfy constraint: Member must not be null; " +
				"Value null at 'sharedSecretCiphertextBlob' failed to satisfy constraint: Member must not be null; " +
				"Value null at 'encapsulationAlgorithm' failed to satisfy constraint: Member must not be null"},
		{"key id length", &DescribeKeyRequest{KeyId: ptr(strings.Repeat("k", 2049))},
			one + "Value '" + strings.Repeat("k", 2049) + "' at 'keyId' failed to satisfy constraint: Member must have length less than or equal to 2048"},
		{"length counts characters", &DescribeKeyRequest{KeyId: ptr(strings.Repeat("é", 2048))}, ""},
		{"pattern", &CreateAliasRequest{AliasName: ptr("alias/a b"), TargetKeyId: ptr("k")},
			one + "Value 'alias/a b' at 'aliasName' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[a-zA-Z0-9:/_-]+$"},
		{"nested structure path", &CreateGrantRequest{KeyId: ptr("k"), Operations: []string{"Encrypt"}, Constraints: &GrantConstraints{SourceArn: ptr("arn:bad")}},
			"2 validation errors detected: Value 'arn:bad' at 'constraints.sourceArn' failed to satisfy constraint: Member must have length greater than or equal to 20; " +
				"Value 'arn:bad' at 'constraints.sourceArn' failed to satisfy constraint: Member must satisfy regular expression pattern: ^arn:aws[a-z0-9-]*:[a-z0-9-]+:[a-z0-9-]*:[0-9]{12}:.+$"},
		{"list of enums", &CreateGrantRequest{KeyId: ptr("k"), Operations: []string{"Encrypt", "Foo"}},
			one + "Value '[Encrypt, Foo]' at 'operations' failed to satisfy constraint: Member must satisfy constraint: [Member must satisfy enum value set: [" +
				strings.Join(GrantOperationValues(), ", ") + "]]"},
		{"grant tokens are not echoed", &EncryptRequest{KeyId: ptr("k"), Plaintext: []byte{1}, GrantTokens: []string{"", "secret"}},
			one + "Value at 'grantTokens' failed to satisfy constraint: Member must satisfy constraint: [Member must have length greater than or equal to 1]"},
		{"list size", &EncryptRequest{KeyId: ptr("k"), Plaintext: []byte{1}, GrantTokens: make([]string, 11)},
			"2 validation errors detected: Value at 'grantTokens' failed to satisfy constraint: Member must have length less than or equal to 10; " +
				"Value at 'grantTokens' failed to satisfy constraint: Member must satisfy constraint: [Member must have length greater than or equal to 1]"},
		{"sensitive string", &CreateCustomKeyStoreRequest{CustomKeyStoreName: ptr("s"), KeyStorePassword: ptr("short")},
			one + "Value at 'keyStorePassword' failed to satisfy constraint: Member must have length greater than or equal to 7"},
		{"sensitive nested", &CreateCustomKeyStoreRequest{CustomKeyStoreName: ptr("s"),
			XksProxyAuthenticationCredential: &XksProxyAuthenticationCredentialType{AccessKeyId: ptr("AKIAAAAAAAAAAAAAAAAAAAAA")}},
			one + "Value null at 'xksProxyAuthenticationCredential.rawSecretAccessKey' failed to satisfy constraint: Member must not be null"},
		{"range", &ScheduleKeyDeletionRequest{KeyId: ptr("k"), PendingWindowInDays: ptr(366)},
			one + "Value '366' at 'pendingWindowInDays' failed to satisfy constraint: Member must have value less than or equal to 365"},
		{"list of structures required", &TagResourceRequest{KeyId: ptr("k"), Tags: []Tag{{TagKey: ptr("a"), TagValue: ptr("")}, {}}},
			"2 validation errors detected: Value null at 'tags.2.member.tagKey' failed to satisfy constraint: Member must not be null; " +
				"Value null at 'tags.2.member.tagValue' failed to satisfy constraint: Member must not be null"},
	} {
		err := c.in.Validate()
		got := ""
		if err != nil {
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("%s: error %T", c.name, err)
			}
			got = err.Error()
		}
		if got != c.want {
			t.Errorf("%s:\n got %s\nwant %s", c.name, got, c.want)
		}
	}
}

// TestValidateNoAllocs checks that validating a valid Encrypt request
// allocates nothing: it is on the hot path.
func TestValidateNoAllocs(t *testing.T) {
	in := &EncryptRequest{KeyId: ptr("arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"),
		Plaintext: make([]byte, 1024), EncryptionContext: map[string]string{"a": "b"}, GrantTokens: []string{"t"},
		EncryptionAlgorithm: ptr("SYMMETRIC_DEFAULT")}
	if n := testing.AllocsPerRun(100, func() {
		if in.Validate() != nil {
			t.Fatal("invalid")
		}
	}); n != 0 {
		t.Errorf("Validate allocates %v times", n)
	}
}
