package e2e_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/google/go-cmp/cmp"

	"github.com/trentkms/trent/test/harness"
)

func keyIDs(t *testing.T, c *kms.Client) []string {
	t.Helper()
	var ids []string
	p := kms.NewListKeysPaginator(c, &kms.ListKeysInput{})
	for p.HasMorePages() {
		out, err := p.NextPage(t.Context())
		if err != nil {
			t.Fatalf("ListKeys: %v", err)
		}
		for _, k := range out.Keys {
			ids = append(ids, aws.ToString(k.KeyId))
		}
	}
	slices.Sort(ids)
	return ids
}

func TestAccountIsolation(t *testing.T) {
	const other = "444455556666"
	each(t, harness.Options{}, func(t *testing.T, e *env) {
		key1 := aws.ToString(createKey(t, e.kms, &kms.CreateKeyInput{Tags: tagList("owner", "one")}).KeyId)
		createAlias(t, e.kms, "alias/shared", key1)

		// The account is added while the server runs.
		acct2, cred2 := e.s.CreateAccount(t, other)
		if acct2 != other {
			t.Errorf("admin account create printed account %q, want %q", acct2, other)
		}
		if want := filepath.Join(e.s.DataDir, "credentials-"+other); cred2 != want {
			t.Errorf("credentials path = %q, want %q", cred2, want)
		}
		if fi, err := os.Stat(cred2); err != nil {
			t.Errorf("credentials file: %v", err)
		} else if fi.Mode().Perm() != 0o600 {
			t.Errorf("credentials file %s has mode %v, want 0600", cred2, fi.Mode().Perm())
		}
		ak1, _ := harness.Credentials(t, e.s.CredentialsFile())
		ak2, _ := harness.Credentials(t, cred2)
		if ak1 == ak2 {
			t.Errorf("the two accounts share access key %s", ak1)
		}
		c2 := e.s.KMSFor(t, cred2, region)

		if ids := keyIDs(t, c2); len(ids) != 0 {
			t.Errorf("new account's ListKeys = %v, want none", ids)
		}
		if names := aliasNames(listAliases(t, c2, "", 0)); len(names) != 0 {
			t.Errorf("new account's ListAliases = %v, want none", names)
		}
		arn2 := "arn:aws:kms:" + region + ":" + other + ":"
		_, err := c2.DescribeKey(t.Context(), &kms.DescribeKeyInput{KeyId: aws.String(key1)})
		wantErr(t, err, "NotFoundException", "Key '"+arn2+"key/"+key1+"' does not exist")
		_, err = c2.DescribeKey(t.Context(), &kms.DescribeKeyInput{KeyId: aws.String("alias/shared")})
		wantErr(t, err, "NotFoundException", "Alias "+arn2+"alias/shared is not found.")
		denied := "User: arn:aws:iam::" + other + ":root is not authorized to perform: kms:"
		_, err = c2.DescribeKey(t.Context(), &kms.DescribeKeyInput{KeyId: aws.String(e.keyARN(key1))})
		wantErrPrefix(t, err, "AccessDeniedException", denied+"DescribeKey on resource: "+e.keyARN(key1))
		_, err = c2.DescribeKey(t.Context(), &kms.DescribeKeyInput{KeyId: aws.String(e.aliasARN("alias/shared"))})
		wantErrPrefix(t, err, "AccessDeniedException", denied+"DescribeKey")
		_, err = c2.DisableKey(t.Context(), &kms.DisableKeyInput{KeyId: aws.String(e.keyARN(key1))})
		wantErrPrefix(t, err, "AccessDeniedException", denied+"DisableKey")
		_, err = c2.TagResource(t.Context(), &kms.TagResourceInput{KeyId: aws.String(e.keyARN(key1)), Tags: tagList("owner", "two")})
		wantErrPrefix(t, err, "AccessDeniedException", denied+"TagResource")
		_, err = c2.ListResourceTags(t.Context(), &kms.ListResourceTagsInput{KeyId: aws.String(e.keyARN(key1))})
		wantErrPrefix(t, err, "AccessDeniedException", denied+"ListResourceTags")
		_, err = c2.EnableKey(t.Context(), &kms.EnableKeyInput{KeyId: aws.String(key1)})
		wantErr(t, err, "NotFoundException", "Key '"+arn2+"key/"+key1+"' does not exist")

		m2 := createKey(t, c2, nil)
		key2 := aws.ToString(m2.KeyId)
		if aws.ToString(m2.AWSAccountId) != other || aws.ToString(m2.Arn) != arn2+"key/"+key2 {
			t.Errorf("second account's key: AWSAccountId %q, Arn %q", aws.ToString(m2.AWSAccountId), aws.ToString(m2.Arn))
		}
		createAlias(t, c2, "alias/shared", key2) // the same name in another account
		if got := aws.ToString(describe(t, c2, "alias/shared").KeyId); got != key2 {
			t.Errorf("account 2 alias/shared -> %s, want %s", got, key2)
		}
		if got := aws.ToString(describe(t, e.kms, "alias/shared").KeyId); got != key1 {
			t.Errorf("account 1 alias/shared -> %s, want %s", got, key1)
		}
		if diff := cmp.Diff([]string{key1}, keyIDs(t, e.kms)); diff != "" {
			t.Errorf("account 1 ListKeys (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff([]string{key2}, keyIDs(t, c2)); diff != "" {
			t.Errorf("account 2 ListKeys (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff(tagList("owner", "one"), listTags(t, e.kms, key1, 0), cmpOpts); diff != "" {
			t.Errorf("account 1 tags (-want +got):\n%s", diff)
		}

		for _, bad := range []string{other, "123"} {
			if r := harness.Run(t, "admin", "account", "create", "--data-dir", e.s.DataDir, "--account-id", bad); r.ExitCode == 0 {
				t.Errorf("admin account create --account-id %s succeeded, want failure:\n%s", bad, r.Stdout)
			}
		}

		e.s.Restart(t)
		if !slices.Contains(e.s.Accounts, e.account) || !slices.Contains(e.s.Accounts, other) {
			t.Errorf("after restart the server lists accounts %v, want %s and %s", e.s.Accounts, e.account, other)
		}
		c2 = e.s.KMSFor(t, cred2, region)
		if diff := cmp.Diff([]string{key2}, keyIDs(t, c2)); diff != "" {
			t.Errorf("after restart account 2 ListKeys (-want +got):\n%s", diff)
		}
	})
}

func TestRegionIsolation(t *testing.T) {
	each(t, harness.Options{Regions: []string{"us-east-1", "eu-west-1"}}, func(t *testing.T, e *env) {
		us := e.kms
		eu := e.s.KMS(t, "eu-west-1")
		usKey := aws.ToString(createKey(t, us, nil).KeyId)
		createAlias(t, us, "alias/regional", usKey)
		euARN := "arn:aws:kms:eu-west-1:" + e.account + ":"

		_, err := eu.DescribeKey(t.Context(), &kms.DescribeKeyInput{KeyId: aws.String(usKey)})
		wantErr(t, err, "NotFoundException", "Key '"+euARN+"key/"+usKey+"' does not exist")
		_, err = eu.DescribeKey(t.Context(), &kms.DescribeKeyInput{KeyId: aws.String(e.keyARN(usKey))})
		wantErr(t, err, "NotFoundException", "Invalid arn us-east-1")
		_, err = eu.DescribeKey(t.Context(), &kms.DescribeKeyInput{KeyId: aws.String("alias/regional")})
		wantErr(t, err, "NotFoundException", "Alias "+euARN+"alias/regional is not found.")
		_, err = eu.DisableKey(t.Context(), &kms.DisableKeyInput{KeyId: aws.String(usKey)})
		wantErr(t, err, "NotFoundException", "Key '"+euARN+"key/"+usKey+"' does not exist")
		if ids := keyIDs(t, eu); len(ids) != 0 {
			t.Errorf("eu-west-1 ListKeys = %v, want none", ids)
		}
		if names := aliasNames(listAliases(t, eu, "", 0)); len(names) != 0 {
			t.Errorf("eu-west-1 ListAliases = %v, want none", names)
		}

		m := createKey(t, eu, nil)
		euKey := aws.ToString(m.KeyId)
		if got, want := aws.ToString(m.Arn), euARN+"key/"+euKey; got != want {
			t.Errorf("eu-west-1 key Arn = %q, want %q", got, want)
		}
		createAlias(t, eu, "alias/regional", euKey) // same name, other region
		if a := findAlias(listAliases(t, eu, "", 0), "alias/regional"); a == nil || aws.ToString(a.AliasArn) != euARN+"alias/regional" {
			t.Errorf("eu-west-1 alias/regional entry = %+v, want AliasArn %s", a, euARN+"alias/regional")
		}
		if diff := cmp.Diff([]string{usKey}, keyIDs(t, us)); diff != "" {
			t.Errorf("us-east-1 ListKeys (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff([]string{euKey}, keyIDs(t, eu)); diff != "" {
			t.Errorf("eu-west-1 ListKeys (-want +got):\n%s", diff)
		}
		if got := aws.ToString(describe(t, us, "alias/regional").KeyId); got != usKey {
			t.Errorf("us-east-1 alias/regional -> %s, want %s", got, usKey)
		}

		// A region the server does not serve is refused at authentication.
		_, err = e.s.KMS(t, "ap-south-1").ListKeys(t.Context(), &kms.ListKeysInput{})
		wantErrContains(t, err, "InvalidSignatureException", "Credential should be scoped to a valid region")
	})
}

func TestStartupFiles(t *testing.T) {
	harness.SQLiteOnly(t)
	each(t, harness.Options{}, func(t *testing.T, e *env) {
		dir := e.s.DataDir
		for _, f := range []struct {
			name string
			mode os.FileMode
		}{{".", 0o700}, {"seal.key", 0o600}, {"credentials", 0o600}, {"trent.db", 0o600}} {
			fi, err := os.Stat(filepath.Join(dir, f.name))
			if err != nil {
				t.Errorf("stat %s: %v", f.name, err)
				continue
			}
			if fi.Mode().Perm() != f.mode {
				t.Errorf("%s has mode %v, want %v", f.name, fi.Mode().Perm(), f.mode)
			}
		}
		out := e.s.Stdout()
		for _, line := range []string{
			"trent: endpoint " + e.s.Endpoint,
			"trent: region us-east-1",
			"trent: account " + e.account,
			"trent: credentials " + filepath.Join(dir, "credentials") + " (profile default)",
		} {
			if !slices.Contains(strings.Split(out, "\n"), line) {
				t.Errorf("stdout lacks the line %q:\n%s", line, out)
			}
		}
		wantScheme := "http://"
		if e.s.CAFile != "" {
			wantScheme = "https://"
		}
		if !strings.HasPrefix(e.s.Endpoint, wantScheme+"127.0.0.1:") {
			t.Errorf("endpoint %q, want %s127.0.0.1:port", e.s.Endpoint, wantScheme)
		}

		read := func(name string) string {
			b, err := os.ReadFile(filepath.Join(dir, name))
			if err != nil {
				t.Fatalf("read %s: %v", name, err)
			}
			return string(b)
		}
		creds, seal := read("credentials"), read("seal.key")
		id := aws.ToString(createKey(t, e.kms, nil).KeyId)
		e.s.Restart(t)
		if read("credentials") != creds || read("seal.key") != seal {
			t.Errorf("a restart rewrote the credentials or seal.key file")
		}
		if diff := cmp.Diff([]string{e.account}, e.s.Accounts); diff != "" {
			t.Errorf("accounts after restart (-want +got):\n%s", diff)
		}
		if got := describe(t, e.s.KMS(t, region), id).KeyState; got != types.KeyStateEnabled {
			t.Errorf("after restart KeyState = %s", got)
		}
	})
}

func TestRandomAccountID(t *testing.T) {
	t.Parallel()
	s := harness.Start(t, harness.Options{})
	if len(s.Accounts) != 1 || !accountIDRE.MatchString(s.Accounts[0]) {
		t.Fatalf("accounts = %v, want one 12-digit ID", s.Accounts)
	}
	m := createKey(t, s.KMS(t, region), nil)
	if got := aws.ToString(m.AWSAccountId); got != s.Accounts[0] {
		t.Errorf("AWSAccountId = %q, want %q", got, s.Accounts[0])
	}
}
