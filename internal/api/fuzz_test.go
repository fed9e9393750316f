package api

import (
	"encoding/json"
	"strings"
	"testing"
)

// sdkBodies are request bodies as aws-sdk-go-v2 and the AWS CLI send them
// (the SDK's request snapshots and captured CLI requests).
var sdkBodies = []string{
	`{"DryRun":true,"EncryptionAlgorithm":"SYMMETRIC_DEFAULT","EncryptionContext":{"key0":"v"},"GrantTokens":["t"],"KeyId":"alias/x","Plaintext":"YmxvYg=="}`,
	`{"KeyId": "c2cd44e9-89dc-4382-8217-e4fa9b56886b", "Plaintext": "aGVsbG8K", "EncryptionContext": {"k": "v"}}`,
	`{"CiphertextBlob":"VAE3NzY0MTY0MDIwNzAJdXMtZWFzdC0x","EncryptionContext":{"k":"v"},"DryRunModifiers":["IGNORE_CIPHERTEXT"]}`,
	`{"Description":"demo","Tags":[{"TagKey":"team","TagValue":"infra"}]}`,
	`{"AliasName":"alias/demo","TargetKeyId":"c2cd44e9-89dc-4382-8217-e4fa9b56886b"}`,
	`{"KeyId":"arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab","NumberOfBytes":32}`,
	`{"Limit":3,"Marker":"1234abcd-12ab-34cd-56ef-1234567890ab"}`,
	`{"NumberOfBytes":1024,"Recipient":{"AttestationDocument":"AAEC","KeyEncryptionAlgorithm":"RSAES_OAEP_SHA_256"}}`,
	`{}`,
	``,
}

// hostileBodies are bodies that AWS's JSON protocol refuses although
// encoding/json takes them (strict_test.go): seeds for FuzzDecode.
var hostileBodies = []string{
	`{"KeyId":"alias/x","Plaintext":[104,105]}`,
	`{"KeyId":"alias/x","Plaintext":"aGl="}`,
	`{"CiphertextBlob":"AQID\nBA=="}`,
	`{"CiphertextBlob":"AQIDBA==\r\n"}`,
	`{"KeyId":"alias/x","Plaintext":"aGk=","EncryptionContext":{"a":null}}`,
	`{"KeyId":"alias/x","GrantTokens":["t",null]}`,
	`{"KeyId":"k","PublicKey":[48,1],"KeyAgreementAlgorithm":"ECDH"}`,
	`{"KeyId":"k","ImportToken":"aB==","EncryptedKeyMaterial":"AAAA"}`,
	`{"Tags":[null]}`,
	`{"KeyId":"k","Constraints":{"EncryptionContextSubset":{"a":null}}}`,
	`{"Recipient":{"AttestationDocument":[1]},"NumberOfBytes":32}`,
}

// FuzzDecode feeds arbitrary bodies to every operation's decoder: none may
// panic; every failure is a SerializationException message; and a body
// that encoding/json cannot parse is refused by every decoder.
func FuzzDecode(f *testing.F) {
	if len(sdkBodies) == 0 {
		f.Fatal("no seeds")
	}
	for _, b := range sdkBodies {
		f.Add([]byte(b))
	}
	for _, b := range hostileBodies {
		f.Add([]byte(b))
	}
	routes := kmsRoutes()
	f.Fuzz(func(t *testing.T, body []byte) {
		valid := len(body) == 0 || json.Valid(body)
		for name, rt := range routes {
			_, msg := decodeRoute(rt, body)
			if msg != "" && msg != msgBadJSON && !strings.HasPrefix(msg, "Unexpected value type in payload at '") &&
				!strings.HasPrefix(msg, "Invalid base64 value in payload at '") {
				t.Fatalf("%s: %q is not a SerializationException message", name, msg)
			}
			if !valid && msg == "" {
				t.Fatalf("%s: accepted invalid JSON %q", name, body)
			}
		}
	})
}
