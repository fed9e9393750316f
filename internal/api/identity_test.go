package api

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/trentkms/trent/internal/audit"
	"github.com/trentkms/trent/internal/iam"
	"github.com/trentkms/trent/internal/sigv4"
)

// TestEventUserIdentity signs requests as the root, an IAM user and a role
// session and checks each event's userIdentity member for member against
// what CloudTrail writes for that kind of principal.
func TestEventUserIdentity(t *testing.T) {
	f := newAuditFixture(t, nil)
	const acct = auditAccount
	user := &iam.Principal{Type: iam.TypeUser, Account: acct, ARN: "arn:aws:iam::" + acct + ":user/ops/Alice",
		UserID: "AIDAEXAMPLEALICE00001", UserName: "Alice"}
	session := &iam.Principal{Type: iam.TypeAssumedRole, Account: acct,
		ARN:    "arn:aws:sts::" + acct + ":assumed-role/Deployer/build-42",
		UserID: "AROAEXAMPLEDEPLOYER01:build-42", RoleARN: "arn:aws:iam::" + acct + ":role/ci/Deployer", SessionName: "build-42"}
	secret := []byte("test-secret-not-a-real-one-000000000000")
	fixed := map[string]*sigv4.Credential{
		"AKIAUSERALICE0000001": {Secret: secret, Handle: user},
		"ASIASESSIONBUILD0042": {Secret: secret, Handle: session},
	}
	base := f.h.kms.Lookup
	f.h.kms = &sigv4.Verifier{Service: "kms", AllowRegion: f.h.kms.AllowRegion, Lookup: func(ctx context.Context, id string) (*sigv4.Credential, error) {
		if c, ok := fixed[id]; ok {
			return c, nil
		}
		return base(ctx, id)
	}}
	tests := []struct {
		name   string
		akid   string
		secret []byte
		want   map[string]any
	}{
		{"root", f.signer.AccessKeyID, f.signer.Secret, map[string]any{
			"type": "Root", "principalId": acct, "arn": iam.RootARN(acct), "accountId": acct, "accessKeyId": f.signer.AccessKeyID,
		}},
		{"iam user", "AKIAUSERALICE0000001", secret, map[string]any{
			"type": "IAMUser", "principalId": "AIDAEXAMPLEALICE00001", "arn": user.ARN, "accountId": acct,
			"accessKeyId": "AKIAUSERALICE0000001", "userName": "Alice",
		}},
		{"role session", "ASIASESSIONBUILD0042", secret, map[string]any{
			"type": "AssumedRole", "principalId": "AROAEXAMPLEDEPLOYER01:build-42", "arn": session.ARN, "accountId": acct,
			"accessKeyId": "ASIASESSIONBUILD0042",
			"sessionContext": map[string]any{"sessionIssuer": map[string]any{
				"type": "Role", "principalId": "AROAEXAMPLEDEPLOYER01", "arn": session.RoleARN, "accountId": acct, "userName": "Deployer",
			}},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := f.head(t)
			g := &fixture{h: f.h, signer: sigv4.Signer{AccessKeyID: tc.akid, Secret: tc.secret, Region: "us-east-1", Service: "kms"}}
			// The user and the session have no policies: the root's call
			// succeeds, theirs are denied, and all three are logged with
			// the caller's identity.
			g.call(t, "ListKeys", map[string]any{}, nil)
			recs := f.events(t, before)
			if len(recs) != 1 {
				t.Fatalf("got %d events, want 1", len(recs))
			}
			var m map[string]any
			if err := json.Unmarshal(recs[0].Event, &m); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, m["userIdentity"]); diff != "" {
				t.Errorf("userIdentity (-want +got):\n%s", diff)
			}
			var ev audit.Event
			if err := json.Unmarshal(recs[0].Event, &ev); err != nil {
				t.Fatal(err)
			}
			if got := ev.Marshal(nil); string(got) != string(recs[0].Event) {
				t.Errorf("decoded event re-encodes differently:\n got %s\nwant %s", got, recs[0].Event)
			}
		})
	}
}
