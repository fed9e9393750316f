package symmetric_test

import (
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/google/uuid"

	"github.com/trentkms/trent/test/harness"
)

// TestWrongKey: Decrypt with KeyId naming another key of the caller is
// IncorrectKeyException, whichever reference form names it; a KeyId naming
// no key is NotFoundException.
func TestWrongKey(t *testing.T) {
	t.Parallel()
	e := start(t, harness.Options{})
	a := e.newKey(t, "wrong-a")
	b := e.newKey(t, "wrong-b")
	ec := map[string]string{"k": "v"}
	pt := []byte("belongs to A")
	blob := encrypt(t, e.c, a.id, pt, ec)
	for _, r := range b.refs() {
		for _, ctx := range []map[string]string{ec, nil} {
			_, err := e.c.Decrypt(t.Context(), &kms.DecryptInput{CiphertextBlob: blob, KeyId: aws.String(r.ref), EncryptionContext: ctx})
			wantErr(t, fmt.Sprintf("Decrypt of A's blob with KeyId = B's %s, context %v", r.name, ctx), err, "IncorrectKeyException", msgIncorrectKey)
		}
	}
	missing := uuid.NewString()
	_, err := e.c.Decrypt(t.Context(), &kms.DecryptInput{CiphertextBlob: blob, KeyId: aws.String(missing), EncryptionContext: ec})
	wantErr(t, "Decrypt with KeyId of a key that does not exist", err, "NotFoundException", "Key '"+e.keyARN(missing)+"' does not exist")
	_, err = e.c.Decrypt(t.Context(), &kms.DecryptInput{CiphertextBlob: blob, KeyId: aws.String("alias/none"), EncryptionContext: ec})
	wantErr(t, "Decrypt with KeyId of an alias that does not exist", err, "NotFoundException", "Alias "+e.aliasARN("alias/none")+" is not found.")
	// A is still fine.
	decryptOK(t, e.c, blob, a.alias, ec, pt, a)
}

// TestForeignBlobs: a blob of another account's key, or of a key in
// another region, is AccessDeniedException with AWS's message when no
// KeyId is given, and IncorrectKeyException when the caller's own key is
// given.
func TestForeignBlobs(t *testing.T) {
	t.Parallel()
	const other = "444455556666"
	const otherRegion = "eu-west-1"
	e := start(t, harness.Options{Regions: []string{region, otherRegion}})
	mine := e.newKey(t, "mine")
	ec := map[string]string{"owner": "someone else"}
	pt := []byte("not yours")

	// Another account, same region.
	acct2, cred2 := e.s.CreateAccount(t, other)
	if acct2 != other {
		t.Fatalf("created account %q, want %q", acct2, other)
	}
	c2 := e.s.KMSFor(t, cred2, region)
	theirs := newKey(t, c2, region, other, "theirs")
	blob2 := encrypt(t, c2, theirs.id, pt, ec)
	parseBlob(t, blob2, other, region, theirs.id, len(pt))
	decryptOK(t, c2, blob2, "", ec, pt, theirs)

	// Same account, another region.
	c3 := e.s.KMS(t, otherRegion)
	there := newKey(t, c3, otherRegion, account, "there")
	blob3 := encrypt(t, c3, there.id, pt, ec)
	parseBlob(t, blob3, account, otherRegion, there.id, len(pt))
	decryptOK(t, c3, blob3, "", ec, pt, there)

	for _, f := range []struct {
		name string
		blob []byte
	}{
		{"another account's blob", blob2},
		{"another region's blob", blob3},
	} {
		for _, ctx := range []map[string]string{ec, nil} {
			_, err := e.c.Decrypt(t.Context(), &kms.DecryptInput{CiphertextBlob: f.blob, EncryptionContext: ctx})
			wantErr(t, fmt.Sprintf("Decrypt of %s, no KeyId, context %v", f.name, ctx), err, "AccessDeniedException", msgForeignBlob)
		}
		for _, r := range mine.refs() {
			_, err := e.c.Decrypt(t.Context(), &kms.DecryptInput{CiphertextBlob: f.blob, KeyId: aws.String(r.ref), EncryptionContext: ec})
			wantErr(t, fmt.Sprintf("Decrypt of %s with KeyId = own %s", f.name, r.name), err, "IncorrectKeyException", msgIncorrectKey)
		}
		_, err := e.c.ReEncrypt(t.Context(), &kms.ReEncryptInput{CiphertextBlob: f.blob, SourceEncryptionContext: ec, DestinationKeyId: aws.String(mine.id)})
		wantErr(t, "ReEncrypt of "+f.name+" to an own key", err, "AccessDeniedException", msgForeignBlob)
	}
	// Naming the other account's key by ARN is an authorization failure.
	_, err := e.c.Decrypt(t.Context(), &kms.DecryptInput{CiphertextBlob: blob2, KeyId: aws.String(theirs.arn), EncryptionContext: ec})
	wantErrPrefix(t, "Decrypt of another account's blob with KeyId = its key ARN", err, "AccessDeniedException",
		"User: arn:aws:iam::"+account+":root is not authorized to perform: kms:Decrypt on resource: "+theirs.arn)
	// The other account cannot decrypt ours either.
	blob1 := encrypt(t, e.c, mine.id, pt, ec)
	_, err = c2.Decrypt(t.Context(), &kms.DecryptInput{CiphertextBlob: blob1, EncryptionContext: ec})
	wantErr(t, "Decrypt by the second account of the first account's blob", err, "AccessDeniedException", msgForeignBlob)
}

// TestKeyStates: a disabled key gives DisabledException "<arn> is
// disabled." for every symmetric operation (ReEncrypt as source and as
// destination); a PendingImport key gives KMSInvalidStateException "<arn>
// is pending import."; re-enabling restores the key.
func TestKeyStates(t *testing.T) {
	t.Parallel()
	e := start(t, harness.Options{})
	k := e.newKey(t, "states")
	other := e.newKey(t, "states-other")
	ec := map[string]string{"state": "test"}
	pt := []byte("state machine")
	blob := encrypt(t, e.c, k.id, pt, ec)
	otherBlob := encrypt(t, e.c, other.id, pt, ec)

	if _, err := e.c.DisableKey(t.Context(), &kms.DisableKeyInput{KeyId: aws.String(k.id)}); err != nil {
		t.Fatalf("DisableKey: %v", err)
	}
	disabled := k.arn + " is disabled."
	ops := stateOps(t, e, k, blob, otherBlob, other, ec, pt)
	for _, op := range ops {
		wantErr(t, op.name+" on a disabled key", op.call(), "DisabledException", disabled)
	}
	// Other keys are unaffected.
	decryptOK(t, e.c, otherBlob, "", ec, pt, other)

	if _, err := e.c.EnableKey(t.Context(), &kms.EnableKeyInput{KeyId: aws.String(k.id)}); err != nil {
		t.Fatalf("EnableKey: %v", err)
	}
	for _, op := range ops {
		if err := op.call(); err != nil {
			t.Errorf("%s after EnableKey: %v", op.name, err)
		}
	}
	decryptOK(t, e.c, blob, "", ec, pt, k)
	decryptOK(t, e.c, encrypt(t, e.c, k.alias, pt, ec), k.id, ec, pt, k)

	// PendingImport: CreateKey with Origin EXTERNAL.
	out, err := e.c.CreateKey(t.Context(), &kms.CreateKeyInput{Origin: types.OriginTypeExternal})
	if err != nil {
		t.Fatalf("CreateKey(Origin EXTERNAL): %v", err)
	}
	if out.KeyMetadata.KeyState != types.KeyStatePendingImport {
		t.Fatalf("EXTERNAL key state = %s, want PendingImport", out.KeyMetadata.KeyState)
	}
	pid := aws.ToString(out.KeyMetadata.KeyId)
	pending := e.keyARN(pid) + " is pending import."
	p := key{id: pid, arn: e.keyARN(pid)}
	for _, op := range []struct {
		name string
		call func() error
	}{
		{"Encrypt", func() error {
			_, err := e.c.Encrypt(t.Context(), &kms.EncryptInput{KeyId: aws.String(p.id), Plaintext: pt})
			return err
		}},
		{"Encrypt (DryRun)", func() error {
			_, err := e.c.Encrypt(t.Context(), &kms.EncryptInput{KeyId: aws.String(p.arn), Plaintext: pt, DryRun: aws.Bool(true)})
			return err
		}},
		{"GenerateDataKey", func() error {
			_, err := e.c.GenerateDataKey(t.Context(), &kms.GenerateDataKeyInput{KeyId: aws.String(p.id), KeySpec: types.DataKeySpecAes256})
			return err
		}},
		{"GenerateDataKeyWithoutPlaintext", func() error {
			_, err := e.c.GenerateDataKeyWithoutPlaintext(t.Context(), &kms.GenerateDataKeyWithoutPlaintextInput{KeyId: aws.String(p.id), NumberOfBytes: aws.Int32(8)})
			return err
		}},
		{"ReEncrypt to it", func() error {
			_, err := e.c.ReEncrypt(t.Context(), &kms.ReEncryptInput{CiphertextBlob: blob, SourceEncryptionContext: ec, DestinationKeyId: aws.String(p.id)})
			return err
		}},
		{"Decrypt (DryRun, IGNORE_CIPHERTEXT)", func() error {
			_, err := e.c.Decrypt(t.Context(), &kms.DecryptInput{KeyId: aws.String(p.id), DryRun: aws.Bool(true), DryRunModifiers: []types.DryRunModifierType{types.DryRunModifierTypeIgnoreCiphertext}})
			return err
		}},
	} {
		wantErr(t, op.name+" on a PendingImport key", op.call(), "KMSInvalidStateException", pending)
	}
}

type stateOp struct {
	name string
	call func() error
}

// stateOps are the operations that use k: each succeeds when k is enabled.
func stateOps(t *testing.T, e *env, k key, blob, otherBlob []byte, other key, ec map[string]string, pt []byte) []stateOp {
	return []stateOp{
		{"Encrypt", func() error {
			_, err := e.c.Encrypt(t.Context(), &kms.EncryptInput{KeyId: aws.String(k.id), Plaintext: pt, EncryptionContext: ec})
			return err
		}},
		{"Encrypt by alias", func() error {
			_, err := e.c.Encrypt(t.Context(), &kms.EncryptInput{KeyId: aws.String(k.alias), Plaintext: pt})
			return err
		}},
		{"Decrypt without KeyId", func() error {
			_, err := e.c.Decrypt(t.Context(), &kms.DecryptInput{CiphertextBlob: blob, EncryptionContext: ec})
			return err
		}},
		{"Decrypt with KeyId", func() error {
			_, err := e.c.Decrypt(t.Context(), &kms.DecryptInput{CiphertextBlob: blob, KeyId: aws.String(k.arn), EncryptionContext: ec})
			return err
		}},
		{"GenerateDataKey", func() error {
			_, err := e.c.GenerateDataKey(t.Context(), &kms.GenerateDataKeyInput{KeyId: aws.String(k.id), KeySpec: types.DataKeySpecAes256, EncryptionContext: ec})
			return err
		}},
		{"GenerateDataKeyWithoutPlaintext", func() error {
			_, err := e.c.GenerateDataKeyWithoutPlaintext(t.Context(), &kms.GenerateDataKeyWithoutPlaintextInput{KeyId: aws.String(k.id), NumberOfBytes: aws.Int32(16)})
			return err
		}},
		{"ReEncrypt from it", func() error {
			_, err := e.c.ReEncrypt(t.Context(), &kms.ReEncryptInput{CiphertextBlob: blob, SourceEncryptionContext: ec, DestinationKeyId: aws.String(other.id)})
			return err
		}},
		{"ReEncrypt to it", func() error {
			_, err := e.c.ReEncrypt(t.Context(), &kms.ReEncryptInput{CiphertextBlob: otherBlob, SourceEncryptionContext: ec, DestinationKeyId: aws.String(k.id)})
			return err
		}},
		{"ReEncrypt to itself", func() error {
			_, err := e.c.ReEncrypt(t.Context(), &kms.ReEncryptInput{CiphertextBlob: blob, SourceEncryptionContext: ec, DestinationKeyId: aws.String(k.id)})
			return err
		}},
	}
}
