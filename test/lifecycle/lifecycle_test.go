// Package lifecycle_test drives a real trent process with aws-sdk-go-v2's
// KMS client through scheduled deletion and automatic rotation (issue 6),
// moving the server's key clock with the test-only control that
// `trent server --testing-clock` adds (POST /_trent/testing/clock).
//
// Expected errors and messages come from AWS (shared/reference/kms-api.md).
package lifecycle_test

import (
	"bytes"
	"database/sql"
	"encoding/json"
	"errors"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/aws/smithy-go"
	_ "modernc.org/sqlite"

	"github.com/trentkms/trent/test/harness"
)

func TestMain(m *testing.M) { harness.Main(m) }

const (
	region    = "us-east-1"
	clockPath = "/_trent/testing/clock"
	day       = 24 * time.Hour
)

func startClocked(t *testing.T) (*harness.Server, *kms.Client) {
	t.Helper()
	s := harness.Start(t, harness.Options{ExtraArgs: []string{"--testing-clock"}})
	return s, s.KMS(t, region)
}

// advance moves the server's key clock forward by d and returns the key
// clock's new time; the server has run its due work when it answers.
func advance(t *testing.T, s *harness.Server, d time.Duration) time.Time {
	t.Helper()
	resp, err := s.HTTPClient().Post(s.Endpoint+clockPath+"?advance="+d.String(), "", nil)
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
		t.Fatalf("advance the clock: decode answer: %v", err)
	}
	return time.Unix(out.Now, 0)
}

func createKey(t *testing.T, c *kms.Client) *types.KeyMetadata {
	t.Helper()
	out, err := c.CreateKey(t.Context(), &kms.CreateKeyInput{})
	if err != nil {
		t.Fatalf("CreateKey: %v", err)
	}
	return out.KeyMetadata
}

// wantErr checks that err is the AWS error code, with message msg unless
// msg is "".
func wantErr(t *testing.T, what string, err error, code, msg string) {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Errorf("%s: got error %v, want %s", what, err, code)
		return
	}
	if ae.ErrorCode() != code || msg != "" && ae.ErrorMessage() != msg {
		t.Errorf("%s: got %s: %q, want %s: %q", what, ae.ErrorCode(), ae.ErrorMessage(), code, msg)
	}
}

// near reports whether got is within a minute of want.
func near(got, want time.Time) bool { return got.Sub(want).Abs() < time.Minute }

// TestScheduledDeletion schedules a deletion, sees the key refuse use,
// cancels it, schedules it again and lets the window end.
func TestScheduledDeletion(t *testing.T) {
	ctx := t.Context()
	s, c := startClocked(t)
	md := createKey(t, c)
	id, arn := aws.ToString(md.KeyId), aws.ToString(md.Arn)
	if _, err := c.CreateAlias(ctx, &kms.CreateAliasInput{AliasName: aws.String("alias/lifecycle"), TargetKeyId: &id}); err != nil {
		t.Fatalf("CreateAlias: %v", err)
	}
	enc, err := c.Encrypt(ctx, &kms.EncryptInput{KeyId: &id, Plaintext: []byte("kept until the end")})
	if err != nil {
		t.Fatalf("Encrypt: %v", err)
	}

	_, err = c.ScheduleKeyDeletion(ctx, &kms.ScheduleKeyDeletionInput{KeyId: &id, PendingWindowInDays: aws.Int32(6)})
	wantErr(t, "ScheduleKeyDeletion(6 days)", err, "ValidationException",
		"1 validation error detected: Value '6' at 'pendingWindowInDays' failed to satisfy constraint: Member must have value greater than or equal to 7")

	now := advance(t, s, 0)
	out, err := c.ScheduleKeyDeletion(ctx, &kms.ScheduleKeyDeletionInput{KeyId: &id, PendingWindowInDays: aws.Int32(7)})
	if err != nil {
		t.Fatalf("ScheduleKeyDeletion: %v", err)
	}
	if aws.ToString(out.KeyId) != arn || out.KeyState != types.KeyStatePendingDeletion || aws.ToInt32(out.PendingWindowInDays) != 7 ||
		out.DeletionDate == nil || !near(*out.DeletionDate, now.Add(7*day)) {
		t.Errorf("ScheduleKeyDeletion = {KeyId %s, KeyState %s, PendingWindowInDays %d, DeletionDate %v}; want %s, PendingDeletion, 7, about %v",
			aws.ToString(out.KeyId), out.KeyState, aws.ToInt32(out.PendingWindowInDays), out.DeletionDate, arn, now.Add(7*day))
	}
	desc, err := c.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: &id})
	if err != nil {
		t.Fatalf("DescribeKey: %v", err)
	}
	if desc.KeyMetadata.KeyState != types.KeyStatePendingDeletion || desc.KeyMetadata.DeletionDate == nil || !desc.KeyMetadata.DeletionDate.Equal(*out.DeletionDate) {
		t.Errorf("DescribeKey: KeyState %s, DeletionDate %v; want PendingDeletion, %v", desc.KeyMetadata.KeyState, desc.KeyMetadata.DeletionDate, out.DeletionDate)
	}
	pending := arn + " is pending deletion."
	_, err = c.Encrypt(ctx, &kms.EncryptInput{KeyId: &id, Plaintext: []byte("x")})
	wantErr(t, "Encrypt with a key pending deletion", err, "KMSInvalidStateException", pending)
	_, err = c.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: enc.CiphertextBlob})
	wantErr(t, "Decrypt with a key pending deletion", err, "KMSInvalidStateException", pending)
	_, err = c.ScheduleKeyDeletion(ctx, &kms.ScheduleKeyDeletionInput{KeyId: &id})
	wantErr(t, "ScheduleKeyDeletion of a key pending deletion", err, "KMSInvalidStateException", pending)

	cout, err := c.CancelKeyDeletion(ctx, &kms.CancelKeyDeletionInput{KeyId: &id})
	if err != nil || aws.ToString(cout.KeyId) != arn {
		t.Fatalf("CancelKeyDeletion = %v; want KeyId %s", err, arn)
	}
	desc, err = c.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: &id})
	if err != nil {
		t.Fatalf("DescribeKey: %v", err)
	}
	if desc.KeyMetadata.KeyState != types.KeyStateDisabled || desc.KeyMetadata.DeletionDate != nil {
		t.Errorf("after CancelKeyDeletion: KeyState %s, DeletionDate %v; want Disabled, none", desc.KeyMetadata.KeyState, desc.KeyMetadata.DeletionDate)
	}
	_, err = c.CancelKeyDeletion(ctx, &kms.CancelKeyDeletionInput{KeyId: &id})
	wantErr(t, "CancelKeyDeletion of a disabled key", err, "KMSInvalidStateException", arn+" is not pending deletion")

	if _, err := c.ScheduleKeyDeletion(ctx, &kms.ScheduleKeyDeletionInput{KeyId: &arn, PendingWindowInDays: aws.Int32(7)}); err != nil {
		t.Fatalf("ScheduleKeyDeletion again: %v", err)
	}
	advance(t, s, 6*day)
	if _, err := c.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: &id}); err != nil {
		t.Fatalf("DescribeKey a day before the window ends: %v", err)
	}
	advance(t, s, 2*day)
	for _, ref := range []string{id, arn, "alias/lifecycle"} {
		_, err = c.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: &ref})
		wantErr(t, "DescribeKey("+ref+") after the window", err, "NotFoundException", "")
	}
	_, err = c.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: enc.CiphertextBlob})
	if err == nil {
		t.Errorf("Decrypt of a destroyed key's ciphertext succeeded")
	}
	aliases, err := c.ListAliases(ctx, &kms.ListAliasesInput{})
	if err != nil {
		t.Fatalf("ListAliases: %v", err)
	}
	for _, a := range aliases.Aliases {
		if aws.ToString(a.AliasName) == "alias/lifecycle" || aws.ToString(a.TargetKeyId) == id {
			t.Errorf("ListAliases after deletion lists %s -> %s", aws.ToString(a.AliasName), aws.ToString(a.TargetKeyId))
		}
	}
	keys, err := c.ListKeys(ctx, &kms.ListKeysInput{})
	if err != nil {
		t.Fatalf("ListKeys: %v", err)
	}
	for _, k := range keys.Keys {
		if aws.ToString(k.KeyId) == id {
			t.Errorf("ListKeys after deletion lists %s", id)
		}
	}
}

// TestAutomaticRotation lets a 90-day rotation period pass.
func TestAutomaticRotation(t *testing.T) {
	ctx := t.Context()
	s, c := startClocked(t)
	id := aws.ToString(createKey(t, c).KeyId)
	old, err := c.Encrypt(ctx, &kms.EncryptInput{KeyId: &id, Plaintext: []byte("before rotation")})
	if err != nil {
		t.Fatalf("Encrypt: %v", err)
	}
	if _, err := c.EnableKeyRotation(ctx, &kms.EnableKeyRotationInput{KeyId: &id, RotationPeriodInDays: aws.Int32(90)}); err != nil {
		t.Fatalf("EnableKeyRotation: %v", err)
	}
	advance(t, s, 89*day)
	rot, err := c.ListKeyRotations(ctx, &kms.ListKeyRotationsInput{KeyId: &id})
	if err != nil || len(rot.Rotations) != 0 {
		t.Fatalf("ListKeyRotations before the period ends = %+v, %v; want none", rot, err)
	}
	now := advance(t, s, 2*day)
	advance(t, s, 0) // a second run finds nothing due
	rot, err = c.ListKeyRotations(ctx, &kms.ListKeyRotationsInput{KeyId: &id})
	if err != nil {
		t.Fatalf("ListKeyRotations: %v", err)
	}
	if len(rot.Rotations) != 1 || rot.Rotations[0].RotationType != types.RotationTypeAutomatic || rot.Rotations[0].RotationDate == nil || !near(*rot.Rotations[0].RotationDate, now) {
		t.Fatalf("ListKeyRotations after 91 days = %+v; want one AUTOMATIC rotation at about %v", rot.Rotations, now)
	}
	st, err := c.GetKeyRotationStatus(ctx, &kms.GetKeyRotationStatusInput{KeyId: &id})
	if err != nil {
		t.Fatalf("GetKeyRotationStatus: %v", err)
	}
	if st.NextRotationDate == nil || !near(*st.NextRotationDate, now.Add(90*day)) {
		t.Errorf("NextRotationDate = %v, want about %v", st.NextRotationDate, now.Add(90*day))
	}
	dec, err := c.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: old.CiphertextBlob})
	if err != nil || !bytes.Equal(dec.Plaintext, []byte("before rotation")) {
		t.Errorf("Decrypt of a ciphertext from before the rotation: %v", err)
	}
	re, err := c.ReEncrypt(ctx, &kms.ReEncryptInput{CiphertextBlob: old.CiphertextBlob, DestinationKeyId: &id})
	if err != nil {
		t.Fatalf("ReEncrypt: %v", err)
	}
	dec, err = c.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: re.CiphertextBlob})
	if err != nil || !bytes.Equal(dec.Plaintext, []byte("before rotation")) {
		t.Errorf("Decrypt after ReEncrypt: %v", err)
	}
}

// TestClockControlAbsent checks that without --testing-clock the control
// does not exist.
func TestClockControlAbsent(t *testing.T) {
	s := harness.Start(t, harness.Options{})
	for _, method := range []string{http.MethodPost, http.MethodGet} {
		req, err := http.NewRequestWithContext(t.Context(), method, s.Endpoint+clockPath+"?advance=720h", nil)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := s.HTTPClient().Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", method, clockPath, err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("%s %s without --testing-clock: HTTP %d, want 404", method, clockPath, resp.StatusCode)
		}
	}
}

// TestDestroyedMaterialLeavesNoTrace reads a key's wrapped material from
// the SQLite database, lets its deletion window end, kills the server and
// scans every file of the data directory (trent.db, its WAL) for those
// bytes.
func TestDestroyedMaterialLeavesNoTrace(t *testing.T) {
	harness.SQLiteOnly(t) // scans SQLite's files; PostgreSQL keeps dead rows until VACUUM (README)
	ctx := t.Context()
	s, c := startClocked(t)
	id := aws.ToString(createKey(t, c).KeyId)
	if _, err := c.RotateKeyOnDemand(ctx, &kms.RotateKeyOnDemandInput{KeyId: &id}); err != nil {
		t.Fatalf("RotateKeyOnDemand: %v", err)
	}
	keep := aws.ToString(createKey(t, c).KeyId) // a neighbour that stays

	wrapped := readWrapped(t, filepath.Join(s.DataDir, "trent.db"), id)
	if len(wrapped) != 2 {
		t.Fatalf("found %d materials of key %s in the database, want 2", len(wrapped), id)
	}
	// The scan can find them while they exist.
	if !dataDirContains(t, s.DataDir, wrapped[0]) {
		t.Fatalf("the wrapped material is not in the data directory before deletion: the scan is broken")
	}

	if _, err := c.ScheduleKeyDeletion(ctx, &kms.ScheduleKeyDeletionInput{KeyId: &id, PendingWindowInDays: aws.Int32(7)}); err != nil {
		t.Fatalf("ScheduleKeyDeletion: %v", err)
	}
	advance(t, s, 7*day+time.Minute)
	_, err := c.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: &id})
	wantErr(t, "DescribeKey after deletion", err, "NotFoundException", "")
	// Killed, not stopped: a clean stop checkpoints the WAL anyway, which
	// would hide whether the deletion itself scrubbed it.
	s.Kill9()

	for i, w := range wrapped {
		if dataDirContains(t, s.DataDir, w) {
			t.Errorf("wrapped material %d of the destroyed key is still in the data directory", i+1)
		}
	}
	if kept := readWrapped(t, filepath.Join(s.DataDir, "trent.db"), keep); len(kept) != 1 {
		t.Errorf("the other key has %d materials after the deletion, want 1", len(kept))
	}
}

// readWrapped returns a key's wrapped material versions as stored.
func readWrapped(t *testing.T, path, keyID string) [][]byte {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close() // before the server deletes: a reader would hold the WAL
	rows, err := db.QueryContext(t.Context(), `SELECT wrapped FROM key_materials WHERE key_id = $1 ORDER BY version`, keyID)
	if err != nil {
		t.Fatalf("read materials: %v", err)
	}
	defer rows.Close()
	var out [][]byte
	for rows.Next() {
		var w []byte
		if err := rows.Scan(&w); err != nil {
			t.Fatal(err)
		}
		out = append(out, w)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// dataDirContains reports whether any file under dir holds b.
func dataDirContains(t *testing.T, dir string, b []byte) bool {
	t.Helper()
	found := false
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || found {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if bytes.Contains(data, b) {
			t.Logf("found in %s", path)
			found = true
		}
		return nil
	})
	if err != nil {
		t.Fatalf("scan %s: %v", dir, err)
	}
	return found
}
