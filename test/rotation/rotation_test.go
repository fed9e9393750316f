// Package rotation_test drives a real trent process with aws-sdk-go-v2's
// KMS client through key rotation (issue 6): EnableKeyRotation,
// DisableKeyRotation, GetKeyRotationStatus, RotateKeyOnDemand and
// ListKeyRotations, their limits and errors, and what rotation does to
// Encrypt, Decrypt and ReEncrypt.
//
// Expected errors and messages come from AWS (shared/reference/kms-api.md
// and aws-recorded-responses.json); the blob layout from
// docs/ciphertext-format.md.
package rotation_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/aws/smithy-go"

	"github.com/trentkms/trent/test/harness"
)

func TestMain(m *testing.M) { harness.Main(m) }

const region = "us-east-1"

func start(t *testing.T) *kms.Client {
	t.Helper()
	return harness.Start(t, harness.Options{}).KMS(t, region)
}

func createKey(t *testing.T, c *kms.Client, in *kms.CreateKeyInput) *types.KeyMetadata {
	t.Helper()
	if in == nil {
		in = &kms.CreateKeyInput{}
	}
	out, err := c.CreateKey(t.Context(), in)
	if err != nil {
		t.Fatalf("CreateKey: %v", err)
	}
	return out.KeyMetadata
}

// wantErr checks that err is the AWS error code with message msg.
func wantErr(t *testing.T, what string, err error, code, msg string) {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Errorf("%s: got error %v, want %s", what, err, code)
		return
	}
	if ae.ErrorCode() != code || ae.ErrorMessage() != msg {
		t.Errorf("%s: got %s: %q, want %s: %q", what, ae.ErrorCode(), ae.ErrorMessage(), code, msg)
	}
}

// blobVersion reads the material version from a ciphertext blob's header
// (docs/ciphertext-format.md section 2).
func blobVersion(t *testing.T, blob []byte) uint32 {
	t.Helper()
	if len(blob) < 16 {
		t.Fatalf("blob of %d bytes is too short", len(blob))
	}
	r := int(blob[14])
	k := int(blob[15+r])
	p := 16 + r + k
	if len(blob) < p+4 {
		t.Fatalf("blob of %d bytes is too short", len(blob))
	}
	return binary.BigEndian.Uint32(blob[p:])
}

// TestRotationStatus: EnableKeyRotation with the default and custom
// periods, GetKeyRotationStatus's fields, DisableKeyRotation, and the
// period's bounds.
func TestRotationStatus(t *testing.T) {
	t.Parallel()
	c := start(t)
	ctx := t.Context()
	md := createKey(t, c, nil)
	id, arn := aws.ToString(md.KeyId), aws.ToString(md.Arn)

	st, err := c.GetKeyRotationStatus(ctx, &kms.GetKeyRotationStatusInput{KeyId: &id})
	if err != nil {
		t.Fatalf("GetKeyRotationStatus: %v", err)
	}
	if st.KeyRotationEnabled || st.RotationPeriodInDays != nil || st.NextRotationDate != nil || aws.ToString(st.KeyId) != arn {
		t.Errorf("status of a new key = enabled %v, period %v, next %v, KeyId %q; want false, none, none, %q",
			st.KeyRotationEnabled, st.RotationPeriodInDays, st.NextRotationDate, aws.ToString(st.KeyId), arn)
	}

	for _, period := range []*int32{nil, aws.Int32(90), aws.Int32(180), aws.Int32(2560)} {
		before := time.Now()
		if _, err := c.EnableKeyRotation(ctx, &kms.EnableKeyRotationInput{KeyId: &arn, RotationPeriodInDays: period}); err != nil {
			t.Fatalf("EnableKeyRotation(%v): %v", period, err)
		}
		after := time.Now()
		want := int32(365)
		if period != nil {
			want = *period
		}
		st, err := c.GetKeyRotationStatus(ctx, &kms.GetKeyRotationStatusInput{KeyId: &arn})
		if err != nil {
			t.Fatalf("GetKeyRotationStatus: %v", err)
		}
		if !st.KeyRotationEnabled || aws.ToInt32(st.RotationPeriodInDays) != want {
			t.Errorf("after EnableKeyRotation(%d): enabled %v, period %v", want, st.KeyRotationEnabled, st.RotationPeriodInDays)
		}
		d := time.Duration(want) * 24 * time.Hour
		if st.NextRotationDate == nil || st.NextRotationDate.Before(before.Add(d-time.Second)) || st.NextRotationDate.After(after.Add(d+time.Second)) {
			t.Errorf("after EnableKeyRotation(%d): NextRotationDate %v, want %d days from now", want, st.NextRotationDate, want)
		}
		if st.OnDemandRotationStartDate != nil {
			t.Errorf("OnDemandRotationStartDate = %v, want none", st.OnDemandRotationStartDate)
		}
	}

	if _, err := c.DisableKeyRotation(ctx, &kms.DisableKeyRotationInput{KeyId: &id}); err != nil {
		t.Fatalf("DisableKeyRotation: %v", err)
	}
	st, err = c.GetKeyRotationStatus(ctx, &kms.GetKeyRotationStatusInput{KeyId: &id})
	if err != nil {
		t.Fatalf("GetKeyRotationStatus: %v", err)
	}
	if st.KeyRotationEnabled || st.RotationPeriodInDays != nil || st.NextRotationDate != nil {
		t.Errorf("status after DisableKeyRotation = %v, %v, %v; want false, none, none", st.KeyRotationEnabled, st.RotationPeriodInDays, st.NextRotationDate)
	}

	for _, tc := range []struct {
		period int32
		msg    string
	}{
		{89, "1 validation error detected: Value '89' at 'rotationPeriodInDays' failed to satisfy constraint: Member must have value greater than or equal to 90"},
		{2561, "1 validation error detected: Value '2561' at 'rotationPeriodInDays' failed to satisfy constraint: Member must have value less than or equal to 2560"},
	} {
		_, err := c.EnableKeyRotation(ctx, &kms.EnableKeyRotationInput{KeyId: &id, RotationPeriodInDays: aws.Int32(tc.period)})
		wantErr(t, fmt.Sprintf("EnableKeyRotation(%d days)", tc.period), err, "ValidationException", tc.msg)
	}
}

// TestRotateOnDemand encrypts, rotates three times encrypting after each,
// and checks that every blob decrypts with its own material, new blobs use
// the newest, ReEncrypt moves blobs to the newest, and DescribeKey and
// ListKeyRotations follow.
func TestRotateOnDemand(t *testing.T) {
	t.Parallel()
	c := start(t)
	ctx := t.Context()
	md := createKey(t, c, nil)
	id, arn := aws.ToString(md.KeyId), aws.ToString(md.Arn)
	materials := []string{aws.ToString(md.CurrentKeyMaterialId)}
	ec := map[string]string{"purpose": "rotation"}

	type sealed struct {
		blob    []byte
		pt      []byte
		version uint32
	}
	var blobs []sealed
	encrypt := func(version uint32) {
		t.Helper()
		pt := fmt.Appendf(nil, "secret %d", len(blobs))
		out, err := c.Encrypt(ctx, &kms.EncryptInput{KeyId: &id, Plaintext: pt, EncryptionContext: ec})
		if err != nil {
			t.Fatalf("Encrypt: %v", err)
		}
		if got := blobVersion(t, out.CiphertextBlob); got != version {
			t.Errorf("Encrypt after %d rotations: blob names material version %d, want %d", version-1, got, version)
		}
		blobs = append(blobs, sealed{out.CiphertextBlob, pt, version})
	}
	encrypt(1)
	var dates []time.Time
	for i := range 3 {
		before := time.Now().Add(-time.Second)
		out, err := c.RotateKeyOnDemand(ctx, &kms.RotateKeyOnDemandInput{KeyId: &id})
		if err != nil {
			t.Fatalf("RotateKeyOnDemand %d: %v", i+1, err)
		}
		dates = append(dates, before)
		if aws.ToString(out.KeyId) != arn {
			t.Errorf("RotateKeyOnDemand.KeyId = %q, want the key ARN %q", aws.ToString(out.KeyId), arn)
		}
		d, err := c.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: &id})
		if err != nil {
			t.Fatalf("DescribeKey: %v", err)
		}
		cur := aws.ToString(d.KeyMetadata.CurrentKeyMaterialId)
		if cur == "" || cur == materials[len(materials)-1] {
			t.Errorf("rotation %d: CurrentKeyMaterialId %q, want a new one (was %q)", i+1, cur, materials[len(materials)-1])
		}
		materials = append(materials, cur)
		encrypt(uint32(i + 2))
	}
	newest := materials[3]

	for i, b := range blobs {
		out, err := c.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: b.blob, EncryptionContext: ec})
		if err != nil {
			t.Fatalf("Decrypt of blob %d: %v", i, err)
		}
		if !bytes.Equal(out.Plaintext, b.pt) || aws.ToString(out.KeyMaterialId) != materials[b.version-1] || aws.ToString(out.KeyId) != arn {
			t.Errorf("Decrypt of blob %d = %q, KeyId %q, material %q; want %q, %q, %q",
				i, out.Plaintext, aws.ToString(out.KeyId), aws.ToString(out.KeyMaterialId), b.pt, arn, materials[b.version-1])
		}
		re, err := c.ReEncrypt(ctx, &kms.ReEncryptInput{CiphertextBlob: b.blob, SourceEncryptionContext: ec, DestinationKeyId: &id})
		if err != nil {
			t.Fatalf("ReEncrypt of blob %d: %v", i, err)
		}
		if v := blobVersion(t, re.CiphertextBlob); v != 4 {
			t.Errorf("ReEncrypt of blob %d: blob names version %d, want 4", i, v)
		}
		if aws.ToString(re.DestinationKeyMaterialId) != newest || aws.ToString(re.SourceKeyMaterialId) != materials[b.version-1] {
			t.Errorf("ReEncrypt of blob %d: source material %q, destination %q; want %q, %q",
				i, aws.ToString(re.SourceKeyMaterialId), aws.ToString(re.DestinationKeyMaterialId), materials[b.version-1], newest)
		}
		d, err := c.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: re.CiphertextBlob})
		if err != nil || !bytes.Equal(d.Plaintext, b.pt) || aws.ToString(d.KeyMaterialId) != newest {
			t.Errorf("Decrypt of re-encrypted blob %d = %v, %v; want %q with material %s", i, d, err, b.pt, newest)
		}
	}

	// ListKeyRotations, one entry a page: the three rotations, oldest first.
	var got []types.RotationsListEntry
	var marker *string
	for page := 0; ; page++ {
		out, err := c.ListKeyRotations(ctx, &kms.ListKeyRotationsInput{KeyId: &arn, Limit: aws.Int32(1), Marker: marker})
		if err != nil {
			t.Fatalf("ListKeyRotations page %d: %v", page, err)
		}
		if len(out.Rotations) != 1 {
			t.Fatalf("ListKeyRotations(Limit 1) page %d has %d entries", page, len(out.Rotations))
		}
		got = append(got, out.Rotations...)
		if !out.Truncated {
			if out.NextMarker != nil {
				t.Errorf("last page has NextMarker %q", aws.ToString(out.NextMarker))
			}
			break
		}
		if page >= 3 {
			t.Fatalf("ListKeyRotations pagination does not end")
		}
		marker = out.NextMarker
	}
	if len(got) != 3 {
		t.Fatalf("ListKeyRotations listed %d rotations, want 3", len(got))
	}
	for i, e := range got {
		state := types.KeyMaterialStateNonCurrent
		if i == 2 {
			state = types.KeyMaterialStateCurrent
		}
		if aws.ToString(e.KeyId) != arn || aws.ToString(e.KeyMaterialId) != materials[i+1] || e.RotationType != types.RotationTypeOnDemand || e.KeyMaterialState != state {
			t.Errorf("rotation %d = KeyId %q, material %q, type %q, state %q; want %q, %q, ON_DEMAND, %q",
				i, aws.ToString(e.KeyId), aws.ToString(e.KeyMaterialId), e.RotationType, e.KeyMaterialState, arn, materials[i+1], state)
		}
		if e.RotationDate == nil || e.RotationDate.Before(dates[i]) || (i < 2 && e.RotationDate.After(dates[i+1].Add(2*time.Second))) {
			t.Errorf("rotation %d: RotationDate %v, want between %v and the next rotation", i, e.RotationDate, dates[i])
		}
	}

	all, err := c.ListKeyRotations(ctx, &kms.ListKeyRotationsInput{KeyId: &id, IncludeKeyMaterial: types.IncludeKeyMaterialAllKeyMaterial})
	if err != nil {
		t.Fatalf("ListKeyRotations(ALL_KEY_MATERIAL): %v", err)
	}
	if len(all.Rotations) != 4 {
		t.Fatalf("ListKeyRotations(ALL_KEY_MATERIAL) listed %d materials, want 4", len(all.Rotations))
	}
	first := all.Rotations[0]
	if aws.ToString(first.KeyMaterialId) != materials[0] || first.RotationDate != nil || first.RotationType != "" || first.KeyMaterialState != types.KeyMaterialStateNonCurrent {
		t.Errorf("first material entry = material %q, date %v, type %q, state %q; want %q, none, none, NON_CURRENT",
			aws.ToString(first.KeyMaterialId), first.RotationDate, first.RotationType, first.KeyMaterialState, materials[0])
	}

	_, err = c.ListKeyRotations(ctx, &kms.ListKeyRotationsInput{KeyId: &id, Marker: aws.String("bogus")})
	wantErr(t, "ListKeyRotations with a bad marker", err, "InvalidMarkerException", "Invalid marker: bogus")
	_, err = c.ListKeyRotations(ctx, &kms.ListKeyRotationsInput{KeyId: &id, Limit: aws.Int32(1001)})
	wantErr(t, "ListKeyRotations(Limit 1001)", err, "ValidationException", "1 validation error detected: Value '1001' at 'limit' failed to satisfy constraint: Member must have value less than or equal to 1000")
}

// TestRotateOnDemandLimit: 25 on-demand rotations succeed, the 26th gets
// AWS's LimitExceededException, and every blob still decrypts.
func TestRotateOnDemandLimit(t *testing.T) {
	t.Parallel()
	c := start(t)
	ctx := t.Context()
	md := createKey(t, c, nil)
	id, arn := aws.ToString(md.KeyId), aws.ToString(md.Arn)
	var blobs [][]byte
	for i := range 25 {
		out, err := c.Encrypt(ctx, &kms.EncryptInput{KeyId: &id, Plaintext: []byte{byte(i)}})
		if err != nil {
			t.Fatalf("Encrypt: %v", err)
		}
		blobs = append(blobs, out.CiphertextBlob)
		if _, err := c.RotateKeyOnDemand(ctx, &kms.RotateKeyOnDemandInput{KeyId: &arn}); err != nil {
			t.Fatalf("RotateKeyOnDemand %d: %v", i+1, err)
		}
	}
	_, err := c.RotateKeyOnDemand(ctx, &kms.RotateKeyOnDemandInput{KeyId: &id})
	wantErr(t, "26th RotateKeyOnDemand", err, "LimitExceededException",
		"The on-demand rotations limit has been reached for the given keyId. No more on-demand rotations can be performed for this key: "+arn)
	for i, b := range blobs {
		out, err := c.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: b})
		if err != nil || !bytes.Equal(out.Plaintext, []byte{byte(i)}) {
			t.Errorf("Decrypt of blob %d (material version %d) = %v, %v", i, blobVersion(t, b), out, err)
		}
	}
	out, err := c.Encrypt(ctx, &kms.EncryptInput{KeyId: &id, Plaintext: []byte("x")})
	if err != nil {
		t.Fatal(err)
	}
	if v := blobVersion(t, out.CiphertextBlob); v != 26 {
		t.Errorf("Encrypt after 25 rotations: version %d, want 26", v)
	}
	list, err := c.ListKeyRotations(ctx, &kms.ListKeyRotationsInput{KeyId: &id})
	if err != nil || len(list.Rotations) != 25 || list.Truncated {
		t.Fatalf("ListKeyRotations = %d entries, truncated %v, %v; want 25, false", len(list.Rotations), list.Truncated, err)
	}
}

// TestRotationErrors: keys and states that cannot rotate.
func TestRotationErrors(t *testing.T) {
	t.Parallel()
	c := start(t)
	ctx := t.Context()
	rsa := createKey(t, c, &kms.CreateKeyInput{KeySpec: types.KeySpecRsa2048, KeyUsage: types.KeyUsageTypeSignVerify})
	hmac := createKey(t, c, &kms.CreateKeyInput{KeySpec: types.KeySpecHmac256, KeyUsage: types.KeyUsageTypeGenerateVerifyMac})
	ext := createKey(t, c, &kms.CreateKeyInput{Origin: types.OriginTypeExternal})
	disabled := createKey(t, c, nil)
	if _, err := c.DisableKey(ctx, &kms.DisableKeyInput{KeyId: disabled.KeyId}); err != nil {
		t.Fatal(err)
	}
	missing := "arn:aws:kms:us-east-1:" + aws.ToString(disabled.AWSAccountId) + ":key/11111111-2222-3333-4444-555555555555"

	type call func(id *string) error
	ops := []struct {
		name string
		f    call
	}{
		{"EnableKeyRotation", func(id *string) error {
			_, err := c.EnableKeyRotation(ctx, &kms.EnableKeyRotationInput{KeyId: id})
			return err
		}},
		{"DisableKeyRotation", func(id *string) error {
			_, err := c.DisableKeyRotation(ctx, &kms.DisableKeyRotationInput{KeyId: id})
			return err
		}},
		{"GetKeyRotationStatus", func(id *string) error {
			_, err := c.GetKeyRotationStatus(ctx, &kms.GetKeyRotationStatusInput{KeyId: id})
			return err
		}},
		{"RotateKeyOnDemand", func(id *string) error {
			_, err := c.RotateKeyOnDemand(ctx, &kms.RotateKeyOnDemandInput{KeyId: id})
			return err
		}},
		{"ListKeyRotations", func(id *string) error {
			_, err := c.ListKeyRotations(ctx, &kms.ListKeyRotationsInput{KeyId: id})
			return err
		}},
	}
	type want struct{ code, msg string }
	type testCase struct {
		key  string
		id   string
		want *want // nil: success
	}
	for _, op := range ops {
		cases := []testCase{
			{"asymmetric", aws.ToString(rsa.KeyId), &want{"UnsupportedOperationException", ""}},
			{"HMAC", aws.ToString(hmac.KeyId), &want{"UnsupportedOperationException", ""}},
			{"missing", missing, &want{"NotFoundException", "Key '" + missing + "' does not exist"}},
		}
		// AWS answers RotateKeyOnDemand on a key pending import with the
		// key state (recorded); the others with the key's origin (8.1 [6]).
		if op.name == "RotateKeyOnDemand" {
			cases = append(cases, testCase{"EXTERNAL pending import", aws.ToString(ext.KeyId), &want{"KMSInvalidStateException", aws.ToString(ext.Arn) + " is pending import."}})
		} else {
			cases = append(cases, testCase{"EXTERNAL pending import", aws.ToString(ext.KeyId), &want{"UnsupportedOperationException", aws.ToString(ext.Arn) + " origin is EXTERNAL which is not valid for this operation."}})
		}
		switch op.name {
		case "EnableKeyRotation", "DisableKeyRotation", "RotateKeyOnDemand":
			cases = append(cases, testCase{"Disabled", aws.ToString(disabled.KeyId), &want{"DisabledException", aws.ToString(disabled.Arn) + " is disabled."}})
		default:
			cases = append(cases, testCase{"Disabled", aws.ToString(disabled.KeyId), nil})
		}
		for _, tc := range cases {
			t.Run(op.name+"/"+tc.key, func(t *testing.T) {
				err := op.f(aws.String(tc.id))
				if tc.want == nil {
					if err != nil {
						t.Fatalf("got %v, want success", err)
					}
					return
				}
				wantErr(t, op.name, err, tc.want.code, tc.want.msg)
			})
		}
	}
}
