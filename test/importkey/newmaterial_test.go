package importkey_test

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"

	"github.com/trentkms/trent/test/harness"
)

// importInto imports material into key id with the given ImportType
// ("" to omit it), KeyMaterialId and description (nil to omit them),
// without expiry.
func importInto(t *testing.T, c *kms.Client, id string, material []byte, typ types.ImportType, kmid, desc *string) (*kms.ImportKeyMaterialOutput, error) {
	t.Helper()
	p := params(t, c, id)
	return c.ImportKeyMaterial(t.Context(), &kms.ImportKeyMaterialInput{
		KeyId: aws.String(id), ImportToken: p.ImportToken, EncryptedKeyMaterial: wrapGo(t, p.PublicKey, material),
		ExpirationModel: types.ExpirationModelTypeKeyMaterialDoesNotExpire, ImportType: typ,
		KeyMaterialId: kmid, KeyMaterialDescription: desc,
	})
}

// TestImportNewKeyMaterial is AWS's on-demand rotation of imported key
// material through aws-sdk-go-v2: NEW_KEY_MATERIAL waits PENDING_ROTATION,
// RotateKeyOnDemand makes it current, ListKeyRotations shows each
// material's import fields, DeleteImportedKeyMaterial takes a
// KeyMaterialId, and old ciphertexts decrypt after the rotation.
func TestImportNewKeyMaterial(t *testing.T) {
	c := harness.Start(t, harness.Options{}).KMS(t, region)
	ctx := t.Context()
	md := createKey(t, c, &kms.CreateKeyInput{Origin: types.OriginTypeExternal})
	id := *md.KeyId
	arn := *md.Arn
	m1, m2 := random(t, 32), random(t, 32)

	out1, err := importInto(t, c, id, m1, "", nil, aws.String("first"))
	if err != nil {
		t.Fatalf("first ImportKeyMaterial: %v", err)
	}
	id1 := aws.ToString(out1.KeyMaterialId)
	enc1, err := c.Encrypt(ctx, &kms.EncryptInput{KeyId: aws.String(id), Plaintext: []byte("before")})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.RotateKeyOnDemand(ctx, &kms.RotateKeyOnDemandInput{KeyId: aws.String(id)})
	wantCode(t, "RotateKeyOnDemand with nothing pending", err, "KMSInvalidStateException", "No available key material pending rotation for the key: "+arn+".")

	out2, err := importInto(t, c, id, m2, types.ImportTypeNewKeyMaterial, nil, aws.String("second"))
	if err != nil {
		t.Fatalf("ImportKeyMaterial NEW_KEY_MATERIAL: %v", err)
	}
	id2 := aws.ToString(out2.KeyMaterialId)
	if id2 == id1 || len(id2) != 64 {
		t.Fatalf("new KeyMaterialId %q (first %q): want a different 64-hex ID", id2, id1)
	}
	_, err = importInto(t, c, id, random(t, 32), types.ImportTypeNewKeyMaterial, nil, nil)
	wantCode(t, "NEW_KEY_MATERIAL while another is pending", err, "KMSInvalidStateException", "")
	_, err = importInto(t, c, id, m1, types.ImportTypeExistingKeyMaterial, aws.String(id2), nil)
	wantCode(t, "EXISTING_KEY_MATERIAL with another material's ID", err, "IncorrectKeyMaterialException", "")

	list := func() []types.RotationsListEntry {
		t.Helper()
		r, err := c.ListKeyRotations(ctx, &kms.ListKeyRotationsInput{KeyId: aws.String(id), IncludeKeyMaterial: types.IncludeKeyMaterialAllKeyMaterial})
		if err != nil {
			t.Fatalf("ListKeyRotations: %v", err)
		}
		return r.Rotations
	}
	type view struct {
		id, desc string
		state    types.KeyMaterialState
		imp      types.ImportState
		typ      types.RotationType
	}
	check := func(when string, want ...view) {
		t.Helper()
		got := list()
		if len(got) != len(want) {
			t.Fatalf("%s: %d entries, want %d", when, len(got), len(want))
		}
		for i, e := range got {
			g := view{aws.ToString(e.KeyMaterialId), aws.ToString(e.KeyMaterialDescription), e.KeyMaterialState, e.ImportState, e.RotationType}
			if g != want[i] {
				t.Errorf("%s: entry %d = %+v, want %+v", when, i, g, want[i])
			}
			if e.ExpirationModel != types.ExpirationModelTypeKeyMaterialDoesNotExpire && e.ImportState == types.ImportStateImported {
				t.Errorf("%s: entry %d ExpirationModel %q, want KEY_MATERIAL_DOES_NOT_EXPIRE", when, i, e.ExpirationModel)
			}
		}
	}
	check("pending",
		view{id1, "first", types.KeyMaterialStateCurrent, types.ImportStateImported, ""},
		view{id2, "second", types.KeyMaterialStatePendingRotation, types.ImportStateImported, ""})
	if d, err := c.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String(id)}); err != nil || aws.ToString(d.KeyMetadata.CurrentKeyMaterialId) != id1 {
		t.Errorf("DescribeKey before rotation: %v; want current material %s", err, id1)
	}

	if _, err := c.RotateKeyOnDemand(ctx, &kms.RotateKeyOnDemandInput{KeyId: aws.String(id)}); err != nil {
		t.Fatalf("RotateKeyOnDemand: %v", err)
	}
	check("rotated",
		view{id1, "first", types.KeyMaterialStateNonCurrent, types.ImportStateImported, ""},
		view{id2, "second", types.KeyMaterialStateCurrent, types.ImportStateImported, types.RotationTypeOnDemand})
	if d, err := c.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String(id)}); err != nil || aws.ToString(d.KeyMetadata.CurrentKeyMaterialId) != id2 {
		t.Errorf("DescribeKey after rotation: %v; want current material %s", err, id2)
	}
	enc2, err := c.Encrypt(ctx, &kms.EncryptInput{KeyId: aws.String(id), Plaintext: []byte("after")})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range []*kms.EncryptOutput{enc1, enc2} {
		if _, err := c.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: e.CiphertextBlob}); err != nil {
			t.Errorf("Decrypt after rotation: %v", err)
		}
	}

	// Deleting the old material by its ID: the key waits for it, then
	// re-import revives both ciphertexts.
	del, err := c.DeleteImportedKeyMaterial(ctx, &kms.DeleteImportedKeyMaterialInput{KeyId: aws.String(id), KeyMaterialId: aws.String(id1)})
	if err != nil || aws.ToString(del.KeyMaterialId) != id1 {
		t.Fatalf("DeleteImportedKeyMaterial %s: %+v, %v", id1, del, err)
	}
	check("deleted",
		view{id1, "first", types.KeyMaterialStateNonCurrent, types.ImportStatePendingImport, ""},
		view{id2, "second", types.KeyMaterialStateCurrent, types.ImportStateImported, types.RotationTypeOnDemand})
	_, err = c.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: enc2.CiphertextBlob})
	wantCode(t, "Decrypt while a material is deleted", err, "KMSInvalidStateException", arn+" is pending import.")
	if _, err := importInto(t, c, id, m1, types.ImportTypeExistingKeyMaterial, aws.String(id1), nil); err != nil {
		t.Fatalf("re-import of %s: %v", id1, err)
	}
	for _, e := range []*kms.EncryptOutput{enc1, enc2} {
		if _, err := c.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: e.CiphertextBlob}); err != nil {
			t.Errorf("Decrypt after re-import: %v", err)
		}
	}
	_, err = c.DeleteImportedKeyMaterial(ctx, &kms.DeleteImportedKeyMaterialInput{KeyId: aws.String(id), KeyMaterialId: aws.String("0000000000000000000000000000000000000000000000000000000000000000")})
	wantCode(t, "DeleteImportedKeyMaterial of an unknown KeyMaterialId", err, "NotFoundException", "")
}
