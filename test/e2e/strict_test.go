package e2e_test

import (
	"encoding/base64"
	"encoding/json"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"

	"github.com/trentkms/trent/test/harness"
)

// TestStrictMembers sends, signed, bodies whose blob, map or list members
// AWS's JSON protocol refuses although encoding/json would take them, to
// operations of every kind (Encrypt, Decrypt and GenerateDataKey;
// CreateKey, GenerateDataKeyPair and DeriveSharedSecret, which an earlier
// release decoded with encoding/json). Each is a SerializationException
// naming the member, and changes nothing.
func TestStrictMembers(t *testing.T) {
	each(t, harness.Options{}, func(t *testing.T, e *env) {
		id := aws.ToString(createKey(t, e.kms, nil).KeyId)
		enc, err := e.kms.Encrypt(t.Context(), &kms.EncryptInput{KeyId: aws.String(id), Plaintext: []byte("hi")})
		if err != nil {
			t.Fatal(err)
		}
		blob := base64.StdEncoding.EncodeToString(enc.CiphertextBlob)
		// blob with a line break in the middle, as a JSON escape.
		broken := blob[:40] + `\n` + blob[40:]
		q := func(s string) string { b, _ := json.Marshal(s); return string(b) }
		keys := func() int {
			out, err := e.kms.ListKeys(t.Context(), &kms.ListKeysInput{})
			if err != nil {
				t.Fatal(err)
			}
			return len(out.Keys)
		}
		before := keys()

		const wrongType, badBase64 = "Unexpected value type in payload at '", "Invalid base64 value in payload at '"
		cases := []struct {
			name, target, body, msg string
		}{
			{"Plaintext as an array of numbers", "TrentService.Encrypt", `{"KeyId":` + q(id) + `,"Plaintext":[104,105]}`, wrongType + "Plaintext'"},
			{"Plaintext with non-zero padding bits", "TrentService.Encrypt", `{"KeyId":` + q(id) + `,"Plaintext":"aGl="}`, badBase64 + "Plaintext'"},
			{"Plaintext with a line break", "TrentService.Encrypt", `{"KeyId":` + q(id) + `,"Plaintext":"aGVs\nbG8="}`, badBase64 + "Plaintext'"},
			{"CiphertextBlob with a line break", "TrentService.Decrypt", `{"CiphertextBlob":"` + broken + `"}`, badBase64 + "CiphertextBlob'"},
			{"CiphertextBlob with CRLF at the end", "TrentService.Decrypt", `{"CiphertextBlob":"` + blob + `\r\n"}`, badBase64 + "CiphertextBlob'"},
			{"EncryptionContext value null", "TrentService.Encrypt", `{"KeyId":` + q(id) + `,"Plaintext":"aGk=","EncryptionContext":{"a":null}}`, wrongType + "EncryptionContext'"},
			{"EncryptionContext value null on Decrypt", "TrentService.Decrypt", `{"CiphertextBlob":"` + blob + `","EncryptionContext":{"a":null}}`, wrongType + "EncryptionContext'"},
			{"GrantTokens with null", "TrentService.GenerateDataKey", `{"KeyId":` + q(id) + `,"KeySpec":"AES_256","GrantTokens":[null]}`, wrongType + "GrantTokens'"},
			{"EncryptionContext value null, encoding/json path", "TrentService.GenerateDataKeyPair", `{"KeyId":` + q(id) + `,"KeyPairSpec":"ECC_NIST_P256","EncryptionContext":{"a":"b","c":null}}`, wrongType + "EncryptionContext'"},
			{"PublicKey as an array", "TrentService.DeriveSharedSecret", `{"KeyId":` + q(id) + `,"KeyAgreementAlgorithm":"ECDH","PublicKey":[48,1]}`, wrongType + "PublicKey'"},
			{"PublicKey with non-zero padding bits", "TrentService.DeriveSharedSecret", `{"KeyId":` + q(id) + `,"KeyAgreementAlgorithm":"ECDH","PublicKey":"aB=="}`, badBase64 + "PublicKey'"},
			{"nested blob as an array", "TrentService.DeriveSharedSecret", `{"KeyId":` + q(id) + `,"KeyAgreementAlgorithm":"ECDH","PublicKey":"aGk=","Recipient":{"AttestationDocument":[1]}}`, wrongType + "Recipient.AttestationDocument'"},
			{"Tags with null", "TrentService.CreateKey", `{"Tags":[{"TagKey":"a","TagValue":"b"},null]}`, wrongType + "Tags'"},
			{"Tags with a null value in a list of strings", "TrentService.UntagResource", `{"KeyId":` + q(id) + `,"TagKeys":["a",null]}`, wrongType + "TagKeys'"},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				wantRawError(t, e.signedRaw(t, tc.target, tc.body), 400, "SerializationException", tc.msg)
			})
		}
		if after := keys(); after != before {
			t.Errorf("refused requests changed the key count: %d, then %d", before, after)
		}
		// The canonical forms of the same members still work.
		if r := e.signedRaw(t, "TrentService.Decrypt", `{"CiphertextBlob":"`+blob+`"}`); r.status != 200 {
			t.Errorf("Decrypt of the canonical blob: HTTP %d %s", r.status, r.body)
		}
		if r := e.signedRaw(t, "TrentService.Encrypt", `{"KeyId":`+q(id)+`,"Plaintext":"aGk=","EncryptionContext":{"a":"b"}}`); r.status != 200 {
			t.Errorf("Encrypt with canonical members: HTTP %d %s", r.status, r.body)
		}
	})
}
