package importkey_test

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"

	"github.com/trentkms/trent/test/harness"
)

// advanceClock moves the key clock of a server started with
// --testing-clock by d; the server has run its due work when it answers.
func advanceClock(t *testing.T, s *harness.Server, d time.Duration) time.Time {
	t.Helper()
	resp, err := s.HTTPClient().Post(s.Endpoint+"/_trent/testing/clock?advance="+d.String(), "", nil)
	if err != nil {
		t.Fatalf("advance the clock: %v", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("advance the clock: HTTP %d", resp.StatusCode)
	}
	var out struct {
		Now int64 `json:"now"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatalf("advance the clock: %v", err)
	}
	return time.Unix(out.Now, 0)
}

// TestImportedMaterialExpires imports material with
// KEY_MATERIAL_EXPIRES, moves the server's key clock past ValidTo and
// sees what AWS shows: the key PendingImport, use refused, no expiration
// model; then the same material, imported again, decrypts what was
// encrypted before.
func TestImportedMaterialExpires(t *testing.T) {
	s := harness.Start(t, harness.Options{ExtraArgs: []string{"--testing-clock"}})
	c := s.KMS(t, region)
	ctx := t.Context()
	now := advanceClock(t, s, 0)
	md := createKey(t, c, &kms.CreateKeyInput{Origin: types.OriginTypeExternal})
	id := md.KeyId
	material := random(t, 32)
	p := params(t, c, *id)
	validTo := now.Add(3 * 24 * time.Hour).Truncate(time.Second)
	if _, err := c.ImportKeyMaterial(ctx, &kms.ImportKeyMaterialInput{KeyId: id, ImportToken: p.ImportToken,
		EncryptedKeyMaterial: wrapGo(t, p.PublicKey, material), ExpirationModel: types.ExpirationModelTypeKeyMaterialExpires, ValidTo: &validTo}); err != nil {
		t.Fatalf("ImportKeyMaterial: %v", err)
	}
	d, err := c.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: id})
	if err != nil {
		t.Fatal(err)
	}
	if m := d.KeyMetadata; m.ExpirationModel != types.ExpirationModelTypeKeyMaterialExpires || !aws.ToTime(m.ValidTo).Equal(validTo) {
		t.Errorf("DescribeKey: model %s, ValidTo %v; want KEY_MATERIAL_EXPIRES, %v", m.ExpirationModel, m.ValidTo, validTo)
	}
	enc, err := c.Encrypt(ctx, &kms.EncryptInput{KeyId: id, Plaintext: []byte("until ValidTo")})
	if err != nil {
		t.Fatalf("Encrypt: %v", err)
	}

	advanceClock(t, s, 3*24*time.Hour-time.Minute)
	if _, err := c.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: enc.CiphertextBlob}); err != nil {
		t.Fatalf("Decrypt a minute before ValidTo: %v", err)
	}
	advanceClock(t, s, time.Minute)
	d, err = c.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: id})
	if err != nil {
		t.Fatal(err)
	}
	if m := d.KeyMetadata; m.KeyState != types.KeyStatePendingImport || m.ExpirationModel != "" || m.ValidTo != nil {
		t.Errorf("after ValidTo: state %s, model %q, ValidTo %v; want PendingImport, none, none", m.KeyState, m.ExpirationModel, m.ValidTo)
	}
	_, err = c.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: enc.CiphertextBlob})
	wantCode(t, "Decrypt after expiry", err, "KMSInvalidStateException", *md.Arn+" is pending import.")

	p = params(t, c, *id)
	if _, err := c.ImportKeyMaterial(ctx, &kms.ImportKeyMaterialInput{KeyId: id, ImportToken: p.ImportToken,
		EncryptedKeyMaterial: wrapGo(t, p.PublicKey, material), ExpirationModel: types.ExpirationModelTypeKeyMaterialDoesNotExpire}); err != nil {
		t.Fatalf("re-import: %v", err)
	}
	dec, err := c.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: enc.CiphertextBlob})
	if err != nil || string(dec.Plaintext) != "until ValidTo" {
		t.Errorf("Decrypt after re-import: %q, %v", dec.Plaintext, err)
	}
	advanceClock(t, s, 400*24*time.Hour)
	if d, _ := c.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: id}); d.KeyMetadata.KeyState != types.KeyStateEnabled {
		t.Errorf("material that does not expire: state %s after 400 days", d.KeyMetadata.KeyState)
	}
}
