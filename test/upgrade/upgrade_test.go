// Package upgrade_test opens data written by the previous release with
// this build, on both engines: the server must upgrade it in place, every
// key must still work, and the audit log must still verify.
//
// testdata/<release>/ holds what make-fixture.sh wrote with that release's
// binary: for SQLite the data directory itself (trent.db, seal.key,
// credentials), for PostgreSQL the data directory's files and a pg_dump of
// its schema (dump.sql, the schema name replaced by {{schema}}); beside
// them the IDs, ciphertexts, signature, grant and audit head the script
// recorded while it drove the release with the AWS CLI.
package upgrade_test

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
	_ "github.com/jackc/pgx/v5/stdlib"
	_ "modernc.org/sqlite"

	"github.com/trentkms/trent/test/harness"
)

func TestMain(m *testing.M) { harness.Main(m) }

// previous is the release the fixture was written by.
const previous = "3dad86c"

const (
	account  = "111122223333"
	fixtureP = "hello fixture"
)

// fixture is an installation written by the previous release, copied to
// a temporary data directory (and database) that the test may change.
type fixture struct {
	dir      string // the fixture's source directory under testdata
	dataDir  string
	store    string // --store argument, empty for SQLite
	ids      struct{ Key, EC, EU string }
	grantID  string
	contract aws.Credentials
	head     string
}

func (f *fixture) read(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(f.dir, name))
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}

// copyFile copies a fixture file with the modes the server expects.
func copyFile(t *testing.T, src, dst string) {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

func openFixture(t *testing.T, engine string) *fixture {
	t.Helper()
	f := &fixture{dir: filepath.Join("testdata", previous, engine)}
	f.dataDir = filepath.Join(t.TempDir(), "data")
	if err := os.Mkdir(f.dataDir, 0o700); err != nil {
		t.Fatal(err)
	}
	files := []string{"credentials", "seal.key"}
	if engine == "sqlite" {
		files = append(files, "trent.db")
	}
	for _, name := range files {
		copyFile(t, filepath.Join(f.dir, name), filepath.Join(f.dataDir, name))
	}
	if engine == "pg" {
		f.store = loadDump(t, f.read(t, "dump.sql"))
	}
	if err := json.Unmarshal([]byte(f.read(t, "ids.json")), &f.ids); err != nil {
		t.Fatal(err)
	}
	var grant struct{ GrantId string }
	if err := json.Unmarshal([]byte(f.read(t, "grant.json")), &grant); err != nil {
		t.Fatal(err)
	}
	f.grantID = grant.GrantId
	var key struct {
		AccessKey struct{ AccessKeyId, SecretAccessKey string }
	}
	if err := json.Unmarshal([]byte(f.read(t, "contractor-key.json")), &key); err != nil {
		t.Fatal(err)
	}
	f.contract = aws.Credentials{AccessKeyID: key.AccessKey.AccessKeyId, SecretAccessKey: key.AccessKey.SecretAccessKey}
	f.head = f.read(t, "head")
	return f
}

// loadDump restores the fixture's pg_dump into a fresh schema of the test
// database and returns the DSN that names it.
func loadDump(t *testing.T, dump string) string {
	t.Helper()
	dsn := harness.NewPostgresStore(t)
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	schema := u.Query().Get("search_path")
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	// The schema exists already (empty); the dump creates it.
	if _, err := db.ExecContext(t.Context(), "DROP SCHEMA "+schema); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(t.Context(), strings.ReplaceAll(dump, "{{schema}}", schema)); err != nil {
		t.Fatalf("restore the fixture's dump: %v", err)
	}
	return dsn
}

func (f *fixture) args(extra ...string) []string {
	a := []string{"--data-dir", f.dataDir}
	if f.store != "" {
		a = append(a, "--store", f.store)
	}
	return append(a, extra...)
}

func (f *fixture) start(t *testing.T) *harness.Server {
	t.Helper()
	extra := []string{}
	if f.store != "" {
		extra = append(extra, "--store", f.store)
	}
	return harness.Start(t, harness.Options{DataDir: f.dataDir, Regions: []string{"us-east-1", "eu-west-1"}, ExtraArgs: extra})
}

// TestPreviousReleaseOpens starts this build on the previous release's
// data: the audit log verifies against the head the release printed, both
// ciphertexts decrypt, the signature verifies, the grant is listed, the
// key policy still lets the contractor use the key, the key in the second
// region is there, the release's key policy, grant and trust policy are
// bound to the contractor that existed (recreateContractor: one created
// again is refused by each), and the audit log verifies again after the
// upgrade (with the head as a prefix of the longer chain), its digests
// chained from the release's last one (checkDigestChainUpgrade).
func TestPreviousReleaseOpens(t *testing.T) {
	for _, engine := range []string{"sqlite", "pg"} {
		t.Run(engine, func(t *testing.T) {
			f := openFixture(t, engine)
			ctx := context.Background()

			s := f.start(t)
			root := s.KMS(t, "us-east-1")
			for _, name := range []string{"ciphertext.b64", "ciphertext2.b64"} {
				blob, err := base64.StdEncoding.DecodeString(f.read(t, name))
				if err != nil {
					t.Fatal(err)
				}
				out, err := root.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: blob, EncryptionContext: map[string]string{"app": "fixture"}})
				if err != nil {
					t.Fatalf("Decrypt %s: %v", name, err)
				}
				if string(out.Plaintext) != fixtureP {
					t.Fatalf("Decrypt %s = %q, want %q", name, out.Plaintext, fixtureP)
				}
			}
			sig, err := base64.StdEncoding.DecodeString(f.read(t, "signature.b64"))
			if err != nil {
				t.Fatal(err)
			}
			v, err := root.Verify(ctx, &kms.VerifyInput{KeyId: aws.String(f.ids.EC), Message: []byte(fixtureP), MessageType: types.MessageTypeRaw,
				Signature: sig, SigningAlgorithm: types.SigningAlgorithmSpecEcdsaSha256})
			if err != nil || !v.SignatureValid {
				t.Fatalf("Verify the release's signature: %v", err)
			}
			grants, err := root.ListGrants(ctx, &kms.ListGrantsInput{KeyId: aws.String(f.ids.Key)})
			if err != nil || len(grants.Grants) != 1 || aws.ToString(grants.Grants[0].GrantId) != f.grantID {
				t.Fatalf("ListGrants = %+v, %v; want the release's grant %s", grants, err, f.grantID)
			}
			contractor := s.KMSWith(f.contract, "us-east-1")
			if _, err := contractor.Encrypt(ctx, &kms.EncryptInput{KeyId: aws.String("alias/fixture"), Plaintext: []byte("x")}); err != nil {
				t.Fatalf("the contractor's Encrypt under the release's key policy: %v", err)
			}
			if _, err := s.KMS(t, "eu-west-1").DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String(f.ids.EU)}); err != nil {
				t.Fatalf("DescribeKey in eu-west-1: %v", err)
			}
			s.Stop(t)

			r := s.Run(t, append([]string{"audit", "verify"}, f.args("--expect-head", f.head)...)...)
			if r.ExitCode != 0 {
				t.Fatalf("trent audit verify --expect-head %s after the upgrade: exit %d\n%s%s", f.head, r.ExitCode, r.Stdout, r.Stderr)
			}
			checkDigestChainUpgrade(t, s, f)

			s = f.start(t)
			recreateContractor(t, s, f)
		})
	}
}

// TestPreviousReleaseGetsAnInstallation: the previous release recorded no
// installation ID and no regions. Its data directory without its database
// is refused (its credentials file shows the first start completed). The
// first start of this build gives the database an ID and writes the
// marker, and adopts the regions that hold keys even when --region names
// fewer (us-east-1 only; the fixture has keys in eu-west-1 too); from then
// on the regions are remembered: a --region that leaves eu-west-1 out is
// refused, a start without --region serves both, and the data directory
// is refused with a database that is not its installation's.
func TestPreviousReleaseGetsAnInstallation(t *testing.T) {
	for _, engine := range []string{"sqlite", "pg"} {
		t.Run(engine, func(t *testing.T) {
			f := openFixture(t, engine)
			ctx := context.Background()
			extra := []string{}
			if f.store != "" {
				extra = append(extra, "--store", f.store)
			}
			empty := t.TempDir()
			if f.store == "" {
				if err := os.Rename(filepath.Join(f.dataDir, "trent.db"), filepath.Join(empty, "trent.db")); err != nil {
					t.Fatal(err)
				}
				refuse(t, harness.Options{DataDir: f.dataDir}, "completed its first start", "trent.db is missing")
				if err := os.Rename(filepath.Join(empty, "trent.db"), filepath.Join(f.dataDir, "trent.db")); err != nil {
					t.Fatal(err)
				}
			} else {
				refuse(t, harness.Options{DataDir: f.dataDir, ExtraArgs: []string{"--store", harness.NewPostgresStore(t)}},
					"completed its first start", "holds no Trent installation")
			}

			s := harness.Start(t, harness.Options{DataDir: f.dataDir, Regions: []string{"us-east-1"}, ExtraArgs: extra})
			if !strings.Contains(s.Stdout(), "trent: region eu-west-1,us-east-1\n") {
				t.Errorf("stdout does not show eu-west-1 adopted:\n%s", s.Stdout())
			}
			if log := s.Stderr(); !strings.Contains(log, "adopted=eu-west-1") || !strings.Contains(log, "had no installation ID") {
				t.Errorf("the log does not say what the upgrade did:\n%s", log)
			}
			if _, err := s.KMS(t, "eu-west-1").DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String(f.ids.EU)}); err != nil {
				t.Fatalf("DescribeKey of the eu-west-1 key after an upgrade with --region us-east-1: %v", err)
			}
			s.Stop(t)
			marker, err := os.ReadFile(filepath.Join(f.dataDir, "installation"))
			if err != nil {
				t.Fatalf("the upgrade wrote no marker: %v", err)
			}
			id := strings.TrimPrefix(strings.TrimSpace(string(marker)), "trent-installation-v1\n")
			if len(id) != 36 {
				t.Fatalf("marker %q", marker)
			}

			refuse(t, harness.Options{DataDir: f.dataDir, Regions: []string{"us-east-1"}, ExtraArgs: extra},
				"--region us-east-1 would stop serving eu-west-1, which holds keys")
			s = harness.Start(t, harness.Options{DataDir: f.dataDir, OmitRegion: true, ExtraArgs: extra})
			if _, err := s.KMS(t, "eu-west-1").DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String(f.ids.EU)}); err != nil {
				t.Fatalf("DescribeKey in eu-west-1 after a start without --region: %v", err)
			}
			s.Stop(t)

			if f.store == "" {
				if err := os.Rename(filepath.Join(f.dataDir, "trent.db"), filepath.Join(empty, "trent.db")); err != nil {
					t.Fatal(err)
				}
				refuse(t, harness.Options{DataDir: f.dataDir}, "belongs to installation "+id, "trent.db is missing")
			} else {
				refuse(t, harness.Options{DataDir: f.dataDir, ExtraArgs: []string{"--store", harness.NewPostgresStore(t)}},
					"belongs to installation "+id, "holds no Trent installation")
			}
		})
	}
}

// refuse starts a server that must refuse to start, saying want.
func refuse(t *testing.T, opts harness.Options, want ...string) {
	t.Helper()
	s, err := harness.StartErr(t, opts)
	var se *harness.StartError
	if err == nil {
		s.Stop(t)
		t.Fatalf("the server started; want it to refuse (%s)", strings.Join(want, "; "))
	}
	if !errors.As(err, &se) {
		t.Fatalf("start: %v, want an exit before ready", err)
	}
	for _, w := range want {
		if !strings.Contains(se.Stderr, w) {
			t.Errorf("stderr lacks %q:\n%s", w, se.Stderr)
		}
	}
}

// checkDigestChainUpgrade: the release's digests (1..10 and 11..20,
// unchained, --audit-digest-every 10; events 21..28 after them) are
// followed by a chain of digests whose first covers 21..28 and names the
// release's last digest; removing the first chained digest, or all of
// them, is reported without a head kept elsewhere.
func checkDigestChainUpgrade(t *testing.T, s *harness.Server, f *fixture) {
	t.Helper()
	driver, dsn := "sqlite", filepath.Join(f.dataDir, "trent.db")
	if f.store != "" {
		driver, dsn = "pgx", f.store
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var first, to, linked int
	err = db.QueryRow(`SELECT d.from_seq, d.to_seq, (SELECT COUNT(*) FROM audit_digests o WHERE o.prev_mac IS NULL AND o.to_seq = 20 AND o.mac = d.prev_mac)
		FROM audit_digests d WHERE d.prev_mac IS NOT NULL ORDER BY d.to_seq LIMIT 1`).Scan(&first, &to, &linked)
	if err != nil || first != 21 || to != 28 || linked != 1 {
		t.Fatalf("first chained digest: %d..%d naming the release's digest of 11..20: %d, %v; want 21..28 naming it", first, to, linked, err)
	}
	verify := func(what string) {
		t.Helper()
		r := s.Run(t, append([]string{"audit", "verify"}, f.args()...)...)
		if r.ExitCode == 0 || !strings.Contains(r.Stderr, "at event 21:") {
			t.Fatalf("verify after %s: exit %d\n%s%s; want a failure at event 21", what, r.ExitCode, r.Stdout, r.Stderr)
		}
	}
	if _, err := db.Exec(`DELETE FROM audit_digests WHERE prev_mac IS NOT NULL AND to_seq = 28`); err != nil {
		t.Fatal(err)
	}
	verify("deleting the first chained digest")
	if _, err := db.Exec(`DELETE FROM audit_digests WHERE prev_mac IS NOT NULL`); err != nil {
		t.Fatal(err)
	}
	verify("deleting every chained digest")
}

// recreateContractor: the release wrote a key policy and a grant naming
// user contractor and role app, and app's trust policy naming contractor,
// all by ARN. After the upgrade they are bound to the contractor that
// existed: it may assume app; once it is deleted and a new contractor is
// created, the new one is refused by the key policy and the grant (Encrypt
// with the release's grant token) and by the trust policy (AssumeRole),
// and GetKeyPolicy, ListGrants and GetRole show the old contractor's
// unique ID, which they can only know for what the upgrade bound.
func recreateContractor(t *testing.T, s *harness.Server, f *fixture) {
	t.Helper()
	ctx := t.Context()
	rak, rsk := s.Credentials(t, filepath.Join(f.dataDir, "credentials"))
	cfg := func(c aws.Credentials) aws.Config {
		return aws.Config{Region: "us-east-1", Credentials: credentials.StaticCredentialsProvider{Value: c},
			HTTPClient: s.HTTPClient(), RetryMaxAttempts: 1}
	}
	endpoint := func(o *iam.Options) { o.BaseEndpoint = aws.String(s.Endpoint) }
	stsEndpoint := func(o *sts.Options) { o.BaseEndpoint = aws.String(s.Endpoint) }
	admin := iam.NewFromConfig(cfg(aws.Credentials{AccessKeyID: rak, SecretAccessKey: rsk}), endpoint)
	root := s.KMS(t, "us-east-1")
	userARN := "arn:aws:iam::" + account + ":user/contractor"
	roleARN := "arn:aws:iam::" + account + ":role/app"

	old, err := admin.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("contractor")})
	if err != nil {
		t.Fatal(err)
	}
	oldID := aws.ToString(old.User.UserId)
	oldSTS := sts.NewFromConfig(cfg(f.contract), stsEndpoint)
	if _, err := oldSTS.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("upgrade")}); err != nil {
		t.Fatalf("the release's contractor assumes app under the release's trust policy: %v", err)
	}

	// Delete contractor (its key and inline policy first, as IAM requires).
	if _, err := admin.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{UserName: aws.String("contractor"), AccessKeyId: aws.String(f.contract.AccessKeyID)}); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.DeleteUserPolicy(ctx, &iam.DeleteUserPolicyInput{UserName: aws.String("contractor"), PolicyName: aws.String("kms")}); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String("contractor")}); err != nil {
		t.Fatal(err)
	}
	// ... and create a contractor again, with a key and no identity policy:
	// what it may do, it may do only through what names contractor.
	if _, err := admin.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("contractor")}); err != nil {
		t.Fatal(err)
	}
	ak, err := admin.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("contractor")})
	if err != nil {
		t.Fatal(err)
	}
	creds := aws.Credentials{AccessKeyID: aws.ToString(ak.AccessKey.AccessKeyId), SecretAccessKey: aws.ToString(ak.AccessKey.SecretAccessKey)}
	var grant struct{ GrantToken string }
	if err := json.Unmarshal([]byte(f.read(t, "grant.json")), &grant); err != nil {
		t.Fatal(err)
	}
	again := s.KMSWith(creds, "us-east-1")
	_, err = again.Encrypt(ctx, &kms.EncryptInput{KeyId: aws.String(f.ids.Key), Plaintext: []byte("x"), GrantTokens: []string{grant.GrantToken}})
	if code := errCode(err); code != "AccessDeniedException" {
		t.Errorf("the new contractor's Encrypt with the release's grant token: %v; want AccessDeniedException", err)
	}
	_, err = sts.NewFromConfig(cfg(creds), stsEndpoint).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("upgrade")})
	if code := errCode(err); code != "AccessDenied" {
		t.Errorf("the new contractor's AssumeRole of app: %v; want AccessDenied", err)
	}

	pol, err := root.GetKeyPolicy(ctx, &kms.GetKeyPolicyInput{KeyId: aws.String(f.ids.Key), PolicyName: aws.String("default")})
	if err != nil {
		t.Fatal(err)
	}
	if p := aws.ToString(pol.Policy); !strings.Contains(p, `"`+oldID+`"`) || strings.Contains(p, userARN) || !strings.Contains(p, roleARN) {
		t.Errorf("GetKeyPolicy after contractor was deleted = %s; want %s in place of %s, and %s as written", p, oldID, userARN, roleARN)
	}
	grants, err := root.ListGrants(ctx, &kms.ListGrantsInput{KeyId: aws.String(f.ids.Key)})
	if err != nil || len(grants.Grants) != 1 {
		t.Fatalf("ListGrants = %+v, %v", grants, err)
	}
	if got := aws.ToString(grants.Grants[0].GranteePrincipal); got != oldID {
		t.Errorf("the release's grant's GranteePrincipal = %s; want the deleted contractor's unique ID %s", got, oldID)
	}
	if got := aws.ToString(grants.Grants[0].RetiringPrincipal); got != roleARN {
		t.Errorf("the release's grant's RetiringPrincipal = %s; want %s", got, roleARN)
	}
	role, err := admin.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("app")})
	if err != nil {
		t.Fatal(err)
	}
	if doc, _ := url.QueryUnescape(aws.ToString(role.Role.AssumeRolePolicyDocument)); !strings.Contains(doc, `"`+oldID+`"`) || strings.Contains(doc, userARN) {
		t.Errorf("app's trust policy after contractor was deleted = %s; want %s in place of %s", doc, oldID, userARN)
	}
}

// errCode is the AWS error code of err ("" for none).
func errCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}
