package e2e_test

import (
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"

	"github.com/trentkms/trent/test/harness"
)

// TestARNOfAnotherPartition: a key or alias ARN in another partition
// (arn:aws-cn:..., arn:aws-us-gov:...) that otherwise names a local key is
// NotFoundException "Invalid arn <partition>" for every operation, and
// changes nothing.
func TestARNOfAnotherPartition(t *testing.T) {
	each(t, harness.Options{}, func(t *testing.T, e *env) {
		ctx := t.Context()
		id := aws.ToString(createKey(t, e.kms, nil).KeyId)
		createAlias(t, e.kms, "alias/partition", id)
		enc, err := e.kms.Encrypt(ctx, &kms.EncryptInput{KeyId: aws.String(id), Plaintext: []byte("x")})
		if err != nil {
			t.Fatal(err)
		}
		g, err := e.kms.CreateGrant(ctx, &kms.CreateGrantInput{KeyId: aws.String(id), GranteePrincipal: aws.String("arn:aws:iam::" + e.account + ":root"),
			Operations: []types.GrantOperation{types.GrantOperationEncrypt}})
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range []string{"aws-cn", "aws-us-gov"} {
			keyARN := strings.Replace(e.keyARN(id), "arn:aws:", "arn:"+p+":", 1)
			aliasARN := strings.Replace(e.aliasARN("alias/partition"), "arn:aws:", "arn:"+p+":", 1)
			want := "Invalid arn " + p
			t.Run(p, func(t *testing.T) {
				_, err := e.kms.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String(keyARN)})
				wantErr(t, err, "NotFoundException", want)
				_, err = e.kms.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String(aliasARN)})
				wantErr(t, err, "NotFoundException", want)
				_, err = e.kms.Encrypt(ctx, &kms.EncryptInput{KeyId: aws.String(keyARN), Plaintext: []byte("x")})
				wantErr(t, err, "NotFoundException", want)
				_, err = e.kms.Decrypt(ctx, &kms.DecryptInput{KeyId: aws.String(aliasARN), CiphertextBlob: enc.CiphertextBlob})
				wantErr(t, err, "NotFoundException", want)
				_, err = e.kms.ScheduleKeyDeletion(ctx, &kms.ScheduleKeyDeletionInput{KeyId: aws.String(keyARN), PendingWindowInDays: aws.Int32(7)})
				wantErr(t, err, "NotFoundException", want)
				_, err = e.kms.DisableKey(ctx, &kms.DisableKeyInput{KeyId: aws.String(keyARN)})
				wantErr(t, err, "NotFoundException", want)
				_, err = e.kms.RetireGrant(ctx, &kms.RetireGrantInput{KeyId: aws.String(keyARN), GrantId: g.GrantId})
				wantErr(t, err, "NotFoundException", want)
			})
		}
		d, err := e.kms.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String(e.keyARN(id))})
		if err != nil || d.KeyMetadata.KeyState != types.KeyStateEnabled {
			t.Fatalf("key after the refused calls: %+v, %v; want Enabled", d, err)
		}
		gs, err := e.kms.ListGrants(ctx, &kms.ListGrantsInput{KeyId: aws.String(id)})
		if err != nil || len(gs.Grants) != 1 {
			t.Errorf("grants after the refused RetireGrant: %d, %v; want 1", len(gs.Grants), err)
		}
	})
}
