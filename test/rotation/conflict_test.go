package rotation_test

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

// TestRotateOnDemandConflict moves a --testing-clock server's key clock to
// 10 minutes before a key's automatic rotation: RotateKeyOnDemand answers
// ConflictException, as AWS does within 20 minutes of one; after the
// automatic rotation it works again, and ListKeyRotations shows both.
func TestRotateOnDemandConflict(t *testing.T) {
	s := harness.Start(t, harness.Options{ExtraArgs: []string{"--testing-clock"}})
	c := s.KMS(t, region)
	ctx := t.Context()
	advance := func(d time.Duration) {
		t.Helper()
		resp, err := s.HTTPClient().Post(s.Endpoint+"/_trent/testing/clock?advance="+d.String(), "", nil)
		if err != nil {
			t.Fatalf("advance the clock: %v", err)
		}
		defer resp.Body.Close()
		var out struct{ Now int64 }
		if resp.StatusCode != http.StatusOK || json.NewDecoder(resp.Body).Decode(&out) != nil {
			t.Fatalf("advance the clock: HTTP %d", resp.StatusCode)
		}
	}
	md := createKey(t, c, &kms.CreateKeyInput{})
	if _, err := c.EnableKeyRotation(ctx, &kms.EnableKeyRotationInput{KeyId: md.KeyId, RotationPeriodInDays: aws.Int32(90)}); err != nil {
		t.Fatal(err)
	}
	advance(90*24*time.Hour - 10*time.Minute)
	_, err := c.RotateKeyOnDemand(ctx, &kms.RotateKeyOnDemandInput{KeyId: md.KeyId})
	wantErr(t, "RotateKeyOnDemand 10 minutes before the automatic rotation", err, "ConflictException",
		"An automatic rotation of "+*md.Arn+" is in progress or scheduled to begin within the next 20 minutes. Try again later.")
	advance(10 * time.Minute)
	if _, err := c.RotateKeyOnDemand(ctx, &kms.RotateKeyOnDemandInput{KeyId: md.KeyId}); err != nil {
		t.Fatalf("RotateKeyOnDemand after the automatic rotation: %v", err)
	}
	r, err := c.ListKeyRotations(ctx, &kms.ListKeyRotationsInput{KeyId: md.KeyId})
	if err != nil {
		t.Fatal(err)
	}
	var got []types.RotationType
	for _, e := range r.Rotations {
		got = append(got, e.RotationType)
	}
	if len(got) != 2 || got[0] != types.RotationTypeAutomatic || got[1] != types.RotationTypeOnDemand {
		t.Errorf("rotations %v, want [AUTOMATIC ON_DEMAND]", got)
	}
}
