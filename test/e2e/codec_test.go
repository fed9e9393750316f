package e2e_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"

	"github.com/trentkms/trent/test/harness"
)

// TestMemberNamesExact: every operation matches member names exactly, as
// AWS's JSON protocol does; a member whose name differs only in case is an
// unknown member, skipped. (Most operations used to be decoded by
// encoding/json, which matched names ignoring case.)
func TestMemberNamesExact(t *testing.T) {
	each(t, harness.Options{}, func(t *testing.T, e *env) {
		r := e.signedRaw(t, "TrentService.CreateKey", `{"description":"lower-case name","Description":"exact name"}`)
		if r.status != 200 {
			t.Fatalf("CreateKey: HTTP %d %s", r.status, r.body)
		}
		r = e.signedRaw(t, "TrentService.CreateKey", `{"description":"lower-case name"}`)
		if r.status != 200 {
			t.Fatalf("CreateKey: HTTP %d %s", r.status, r.body)
		}
		var out struct {
			KeyMetadata struct{ KeyId, Description string }
		}
		if err := json.Unmarshal(r.body, &out); err != nil {
			t.Fatal(err)
		}
		if out.KeyMetadata.Description != "" {
			t.Errorf("CreateKey with member description: Description %q, want none (an unknown member)", out.KeyMetadata.Description)
		}
		// A required member named in another case is missing.
		wantRawError(t, e.signedRaw(t, "TrentService.TagResource", `{"KeyId":"`+out.KeyMetadata.KeyId+`","tags":[{"TagKey":"a","TagValue":"b"}]}`),
			400, "ValidationException", "1 validation error detected: Value null at 'tags' failed to satisfy constraint: Member must not be null")
		tags, err := e.kms.ListResourceTags(t.Context(), &kms.ListResourceTagsInput{KeyId: aws.String(out.KeyMetadata.KeyId)})
		if err != nil {
			t.Fatal(err)
		}
		if len(tags.Tags) != 0 {
			t.Errorf("the refused TagResource tagged the key: %v", tags.Tags)
		}
	})
}

// TestModelValidation checks requests against the model's constraints as
// AWS does, with AWS's "N validation errors detected" messages: lists of
// plain values are reported at the list, grant tokens are never repeated,
// every member the model constrains is checked (nested ones included),
// violations are listed in the model's member order, and the model's
// checks come before Trent's own rules.
func TestModelValidation(t *testing.T) {
	each(t, harness.Options{}, func(t *testing.T, e *env) {
		id := aws.ToString(createKey(t, e.kms, nil).KeyId)
		q := func(s string) string { b, _ := json.Marshal(s); return string(b) }
		const one = "1 validation error detected: "
		secretToken := strings.Repeat("grant-token-canary-", 432)[:8193]
		cases := []struct {
			name, target, body, msg string
		}{
			{"a list of enum values, reported at the list", "TrentService.CreateGrant",
				`{"KeyId":` + q(id) + `,"GranteePrincipal":"arn:aws:iam::` + e.account + `:root","Operations":["Encrypt","Foo"]}`,
				one + "Value '[Encrypt, Foo]' at 'operations' failed to satisfy constraint: Member must satisfy constraint: [Member must satisfy enum value set: " +
					"[Decrypt, Encrypt, GenerateDataKey, GenerateDataKeyWithoutPlaintext, ReEncryptFrom, ReEncryptTo, Sign, Verify, GetPublicKey, CreateGrant, " +
					"RetireGrant, DescribeKey, GenerateDataKeyPair, GenerateDataKeyPairWithoutPlaintext, GenerateMac, VerifyMac, DeriveSharedSecret, Encapsulate, Decapsulate]]"},
			{"a list of strings, reported at the list", "TrentService.UntagResource", `{"KeyId":` + q(id) + `,"TagKeys":["","ok"]}`,
				one + "Value '[, ok]' at 'tagKeys' failed to satisfy constraint: Member must satisfy constraint: [Member must have length greater than or equal to 1]"},
			{"dry-run modifiers, reported at the list", "TrentService.Decrypt", `{"KeyId":` + q(id) + `,"DryRun":true,"DryRunModifiers":["BAD"]}`,
				one + "Value '[BAD]' at 'dryRunModifiers' failed to satisfy constraint: Member must satisfy constraint: [Member must satisfy enum value set: [IGNORE_CIPHERTEXT]]"},
			{"a grant token is never repeated", "TrentService.Encrypt", `{"KeyId":` + q(id) + `,"Plaintext":"aGk=","GrantTokens":[` + q(secretToken) + `]}`,
				one + "Value at 'grantTokens' failed to satisfy constraint: Member must satisfy constraint: [Member must have length less than or equal to 8192]"},
			{"a service principal's pattern", "TrentService.CreateGrant",
				`{"KeyId":` + q(id) + `,"GranteeServicePrincipal":"not a service","Operations":["Encrypt"]}`,
				one + `Value 'not a service' at 'granteeServicePrincipal' failed to satisfy constraint: Member must satisfy regular expression pattern: ^([A-Za-z0-9\-]+)\.([A-Za-z0-9\-]+)(\.[A-Za-z0-9\-]+)+$`},
			{"a nested member: constraints.sourceArn", "TrentService.CreateGrant",
				`{"KeyId":` + q(id) + `,"GranteePrincipal":"arn:aws:iam::` + e.account + `:root","Operations":["Encrypt"],"Constraints":{"SourceArn":"arn:bad"}}`,
				"2 validation errors detected: Value 'arn:bad' at 'constraints.sourceArn' failed to satisfy constraint: Member must have length greater than or equal to 20; " +
					"Value 'arn:bad' at 'constraints.sourceArn' failed to satisfy constraint: Member must satisfy regular expression pattern: ^arn:aws[a-z0-9-]*:[a-z0-9-]+:[a-z0-9-]*:[0-9]{12}:.+$"},
			{"a nested member: recipient.keyEncryptionAlgorithm", "TrentService.GenerateRandom", `{"NumberOfBytes":16,"Recipient":{"KeyEncryptionAlgorithm":"BAD"}}`,
				one + "Value 'BAD' at 'recipient.keyEncryptionAlgorithm' failed to satisfy constraint: Member must satisfy enum value set: [RSAES_OAEP_SHA_256]"},
			{"keyMaterialDescription's pattern", "TrentService.ImportKeyMaterial",
				`{"KeyId":` + q(id) + `,"ImportToken":"AAAA","EncryptedKeyMaterial":"AAAA","ExpirationModel":"KEY_MATERIAL_DOES_NOT_EXPIRE","KeyMaterialDescription":"bad!"}`,
				one + `Value 'bad!' at 'keyMaterialDescription' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[a-zA-Z0-9:/_\s.-]+$`},
			{"an empty alias name: its length and its pattern", "TrentService.CreateAlias", `{"AliasName":"","TargetKeyId":` + q(id) + `}`,
				"2 validation errors detected: Value '' at 'aliasName' failed to satisfy constraint: Member must have length greater than or equal to 1; " +
					"Value '' at 'aliasName' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[a-zA-Z0-9:/_-]+$"},
			{"violations in the model's member order", "TrentService.GenerateMac", `{}`,
				"3 validation errors detected: Value null at 'message' failed to satisfy constraint: Member must not be null; " +
					"Value null at 'keyId' failed to satisfy constraint: Member must not be null; " +
					"Value null at 'macAlgorithm' failed to satisfy constraint: Member must not be null"},
			{"the model's range before Trent's 7 to 30 days", "TrentService.ScheduleKeyDeletion", `{"KeyId":` + q(id) + `,"PendingWindowInDays":0}`,
				one + "Value '0' at 'pendingWindowInDays' failed to satisfy constraint: Member must have value greater than or equal to 1"},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				r := e.signedRaw(t, tc.target, tc.body)
				wantRawError(t, r, 400, "ValidationException", tc.msg)
				if r.message != tc.msg {
					t.Errorf("message %q\nwant    %q", r.message, tc.msg)
				}
				if strings.Contains(string(r.body), "canary") {
					t.Errorf("the answer repeats the grant token: %s", r.body)
				}
			})
		}
		// Trent's own rules still apply within the model's.
		_, err := e.kms.ScheduleKeyDeletion(t.Context(), &kms.ScheduleKeyDeletionInput{KeyId: aws.String(id), PendingWindowInDays: aws.Int32(6)})
		wantErr(t, err, "ValidationException", one+"Value '6' at 'pendingWindowInDays' failed to satisfy constraint: Member must have value greater than or equal to 7")
		md, err := e.kms.DescribeKey(t.Context(), &kms.DescribeKeyInput{KeyId: aws.String(id)})
		if err != nil || md.KeyMetadata.KeyState != types.KeyStateEnabled {
			t.Errorf("after the refused requests: %v, %v", md, err)
		}
	})
}

// TestUnknownMembersIgnored: a member the model does not give an
// operation is skipped like any unknown member, as AWS skips it, even
// where another operation has it (GenerateDataKeyWithoutPlaintext has no
// Recipient; Trent used to refuse it as it refuses GenerateDataKey's).
// A timestamp that is not a number names its member.
func TestUnknownMembersIgnored(t *testing.T) {
	each(t, harness.Options{}, func(t *testing.T, e *env) {
		id := aws.ToString(createKey(t, e.kms, nil).KeyId)
		r := e.signedRaw(t, "TrentService.GenerateDataKeyWithoutPlaintext",
			`{"KeyId":"`+id+`","KeySpec":"AES_256","Recipient":{"AttestationDocument":"AAAA","KeyEncryptionAlgorithm":"RSAES_OAEP_SHA_256"}}`)
		if r.status != 200 {
			t.Errorf("GenerateDataKeyWithoutPlaintext with Recipient: HTTP %d %s", r.status, r.body)
		}
		// GenerateDataKey has Recipient, which Trent refuses (README).
		wantRawError(t, e.signedRaw(t, "TrentService.GenerateDataKey",
			`{"KeyId":"`+id+`","KeySpec":"AES_256","Recipient":{"AttestationDocument":"AAAA","KeyEncryptionAlgorithm":"RSAES_OAEP_SHA_256"}}`),
			400, "UnsupportedOperationException", "Recipient")

		imported := createKey(t, e.kms, &kms.CreateKeyInput{Origin: types.OriginTypeExternal})
		wantRawError(t, e.signedRaw(t, "TrentService.ImportKeyMaterial",
			`{"KeyId":"`+aws.ToString(imported.KeyId)+`","ImportToken":"AAAA","EncryptedKeyMaterial":"AAAA","ValidTo":"2030-01-01T00:00:00Z"}`),
			400, "SerializationException", "Unexpected value type in payload at 'ValidTo'")
	})
}
