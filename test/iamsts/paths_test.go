package iamsts_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/trentkms/trent/test/harness"
)

// IAM operations on a user or role are authorized under its ARN with its
// path, as AWS does: a user allowed iam:* but denied everything under
// user/admin/ cannot touch /admin/boss (attach a policy to it, mint its
// access keys, ...), and the refusal names the ARN with the path and says
// it is an explicit deny.

// deniedMessage runs args as (ak, sk) and returns the message of the
// AccessDenied it requires ("" and a test error for any other outcome).
func (c *cli) deniedMessage(ak, sk string, args ...string) string {
	c.t.Helper()
	_, errOut, ok := c.run(ak, sk, "", args...)
	const code = "(AccessDenied)"
	i := strings.Index(errOut, code)
	if ok || i < 0 {
		c.t.Errorf("aws %s: succeeded=%v, stderr %q; want AccessDenied", strings.Join(args, " "), ok, errOut)
		return ""
	}
	// "... when calling the X operation (reached max retries: 0): User: ..."
	msg := errOut[i+len(code):]
	if j := strings.Index(msg, "): User: "); j >= 0 {
		msg = msg[j+3:]
	} else if j := strings.Index(msg, "operation: "); j >= 0 {
		msg = msg[j+len("operation: "):]
	}
	return strings.TrimSpace(msg)
}

func TestIAMPathAuthorizationCLI(t *testing.T) {
	srv := harness.Start(t, harness.Options{AccountID: account})
	c := newCLI(t, srv)
	rak, rsk := srv.Credentials(t, srv.CredentialsFile())
	arn := func(res string) string { return "arn:aws:iam::" + account + ":" + res }
	const allowAll = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`
	denyAdmin := `{"Effect":"Deny","Action":"iam:*","Resource":["` + arn("user/admin/*") + `","` + arn("role/admin/*") + `"]}`
	newUser := func(name, doc string) (string, string) {
		var ck struct {
			AccessKey struct{ AccessKeyId, SecretAccessKey string }
		}
		c.ok(nil, rak, rsk, "", "iam", "create-user", "--user-name", name)
		c.ok(&ck, rak, rsk, "", "iam", "create-access-key", "--user-name", name)
		if doc != "" {
			c.ok(nil, rak, rsk, "", "iam", "put-user-policy", "--user-name", name, "--policy-name", "p", "--policy-document", doc)
		}
		return ck.AccessKey.AccessKeyId, ck.AccessKey.SecretAccessKey
	}

	// The protected principals, under /admin/.
	c.ok(nil, rak, rsk, "", "iam", "create-user", "--user-name", "boss", "--path", "/admin/")
	var bk struct{ AccessKey struct{ AccessKeyId string } }
	c.ok(&bk, rak, rsk, "", "iam", "create-access-key", "--user-name", "boss")
	bossKey := bk.AccessKey.AccessKeyId
	c.ok(nil, rak, rsk, "", "iam", "put-user-policy", "--user-name", "boss", "--policy-name", "p", "--policy-document", allowAll)
	c.ok(nil, rak, rsk, "", "iam", "create-role", "--role-name", "ops", "--path", "/admin/", "--assume-role-policy-document", trustRoot)
	c.ok(nil, rak, rsk, "", "iam", "put-role-policy", "--role-name", "ops", "--policy-name", "p", "--policy-document", allowAll)

	// mallory may do anything in IAM except under /admin/.
	mak, msk := newUser("mallory", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:*","Resource":"*"},`+denyAdmin+`]}`)

	// An explicit Deny is called one, whatever the path: careful may do
	// anything in IAM but delete users.
	cak, csk := newUser("careful", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:*","Resource":"*"},
		{"Effect":"Deny","Action":"iam:DeleteUser","Resource":"*"}]}`)
	got := c.deniedMessage(cak, csk, "iam", "delete-user", "--user-name", "mallory")
	if want := "User: " + arn("user/careful") + " is not authorized to perform: iam:DeleteUser on resource: " + arn("user/mallory") +
		" with an explicit deny in an identity-based policy"; got != "" && got != want {
		t.Errorf("aws iam delete-user mallory:\n got %q\nwant %q", got, want)
	}

	boss, ops := arn("user/admin/boss"), arn("role/admin/ops")
	for _, tc := range []struct {
		action, resource string
		args             []string
	}{
		{"GetUser", boss, []string{"get-user", "--user-name", "boss"}},
		{"TagUser", boss, []string{"tag-user", "--user-name", "boss", "--tags", "Key=k,Value=v"}},
		{"DeleteUser", boss, []string{"delete-user", "--user-name", "boss"}},
		{"CreateAccessKey", boss, []string{"create-access-key", "--user-name", "boss"}},
		{"CreateAccessKey", boss, []string{"create-access-key", "--user-name", "BOSS"}}, // names are case-insensitive
		{"ListAccessKeys", boss, []string{"list-access-keys", "--user-name", "boss"}},
		{"UpdateAccessKey", boss, []string{"update-access-key", "--user-name", "boss", "--access-key-id", bossKey, "--status", "Inactive"}},
		{"DeleteAccessKey", boss, []string{"delete-access-key", "--user-name", "boss", "--access-key-id", bossKey}},
		{"PutUserPolicy", boss, []string{"put-user-policy", "--user-name", "boss", "--policy-name", "x", "--policy-document", allowAll}},
		{"PutUserPolicy", boss, []string{"put-user-policy", "--user-name", "Boss", "--policy-name", "x", "--policy-document", allowAll}},
		{"GetUserPolicy", boss, []string{"get-user-policy", "--user-name", "boss", "--policy-name", "p"}},
		{"ListUserPolicies", boss, []string{"list-user-policies", "--user-name", "boss"}},
		{"DeleteUserPolicy", boss, []string{"delete-user-policy", "--user-name", "boss", "--policy-name", "p"}},
		{"CreateUser", arn("user/admin/boss2"), []string{"create-user", "--user-name", "boss2", "--path", "/admin/"}},
		{"GetRole", ops, []string{"get-role", "--role-name", "ops"}},
		{"TagRole", ops, []string{"tag-role", "--role-name", "ops", "--tags", "Key=k,Value=v"}},
		{"DeleteRole", ops, []string{"delete-role", "--role-name", "ops"}},
		{"PutRolePolicy", ops, []string{"put-role-policy", "--role-name", "OPS", "--policy-name", "x", "--policy-document", allowAll}},
		{"GetRolePolicy", ops, []string{"get-role-policy", "--role-name", "ops", "--policy-name", "p"}},
		{"ListRolePolicies", ops, []string{"list-role-policies", "--role-name", "ops"}},
		{"DeleteRolePolicy", ops, []string{"delete-role-policy", "--role-name", "ops", "--policy-name", "p"}},
		{"CreateRole", arn("role/admin/ops2"), []string{"create-role", "--role-name", "ops2", "--path", "/admin/", "--assume-role-policy-document", trustRoot}},
	} {
		got := c.deniedMessage(mak, msk, append([]string{"iam"}, tc.args...)...)
		if got == "" {
			continue
		}
		want := "User: " + arn("user/mallory") + " is not authorized to perform: iam:" + tc.action + " on resource: " + tc.resource +
			" with an explicit deny in an identity-based policy"
		if got != want {
			t.Errorf("aws iam %s:\n got %q\nwant %q", strings.Join(tc.args, " "), got, want)
		}
	}

	// Nothing under /admin/ changed.
	var lk struct {
		AccessKeyMetadata []struct{ AccessKeyId, Status string }
	}
	c.ok(&lk, rak, rsk, "", "iam", "list-access-keys", "--user-name", "boss")
	if len(lk.AccessKeyMetadata) != 1 || lk.AccessKeyMetadata[0].AccessKeyId != bossKey || lk.AccessKeyMetadata[0].Status != "Active" {
		t.Errorf("boss's access keys = %+v, want only %s, Active", lk.AccessKeyMetadata, bossKey)
	}
	var lp struct{ PolicyNames []string }
	c.ok(&lp, rak, rsk, "", "iam", "list-user-policies", "--user-name", "boss")
	if len(lp.PolicyNames) != 1 || lp.PolicyNames[0] != "p" {
		t.Errorf("boss's policies = %v, want [p]", lp.PolicyNames)
	}
	c.ok(&lp, rak, rsk, "", "iam", "list-role-policies", "--role-name", "ops")
	if len(lp.PolicyNames) != 1 || lp.PolicyNames[0] != "p" {
		t.Errorf("ops's policies = %v, want [p]", lp.PolicyNames)
	}
	var gu struct {
		User struct{ Tags []json.RawMessage }
	}
	c.ok(&gu, rak, rsk, "", "iam", "get-user", "--user-name", "boss")
	var gr struct {
		Role struct{ Tags []json.RawMessage }
	}
	c.ok(&gr, rak, rsk, "", "iam", "get-role", "--role-name", "ops")
	if len(gu.User.Tags) != 0 || len(gr.Role.Tags) != 0 {
		t.Errorf("tags of boss %d, of ops %d; want none", len(gu.User.Tags), len(gr.Role.Tags))
	}
	c.fails("NoSuchEntity", rak, rsk, "", "iam", "get-user", "--user-name", "boss2")
	c.fails("NoSuchEntity", rak, rsk, "", "iam", "get-role", "--role-name", "ops2")

	// Outside /admin/ mallory's iam:* holds, and a name that names nobody
	// is NoSuchEntity for her, who may act on it.
	c.ok(nil, mak, msk, "", "iam", "create-user", "--user-name", "intern", "--path", "/staff/")
	c.ok(nil, mak, msk, "", "iam", "create-access-key", "--user-name", "intern")
	c.ok(nil, mak, msk, "", "iam", "put-user-policy", "--user-name", "intern", "--policy-name", "p", "--policy-document", allowAll)
	c.fails("NoSuchEntity", mak, msk, "", "iam", "get-user", "--user-name", "ghost")
	c.fails("NoSuchEntity", mak, msk, "", "iam", "get-role", "--role-name", "ghost")

	// A caller who may not act on a name cannot tell from the error whether
	// a principal of that name exists, nor its path: nobody has no policy,
	// denier only the Deny on /admin/. Both get, for boss and ops, the
	// answer a name that names nobody gets.
	nak, nsk := newUser("nobody", "")
	dak, dsk := newUser("denier", `{"Version":"2012-10-17","Statement":[`+denyAdmin+`]}`)
	for _, who := range []struct{ name, ak, sk string }{{"nobody", nak, nsk}, {"denier", dak, dsk}} {
		for _, op := range []struct{ cmd, flag, name, kind string }{
			{"get-user", "--user-name", "boss", "user"},
			{"get-role", "--role-name", "ops", "role"},
			{"list-access-keys", "--user-name", "boss", "user"},
		} {
			got := c.deniedMessage(who.ak, who.sk, "iam", op.cmd, op.flag, op.name)
			ghost := c.deniedMessage(who.ak, who.sk, "iam", op.cmd, op.flag, "ghost")
			if got == "" || ghost == "" {
				continue
			}
			if strings.ReplaceAll(ghost, "ghost", op.name) != got {
				t.Errorf("%s: aws iam %s %s: existing %q, unknown %q: the error tells them apart", who.name, op.cmd, op.name, got, ghost)
			}
			if want := "on resource: " + arn(op.kind+"/"+op.name) + " because no identity-based policy allows the iam:"; !strings.Contains(got, want) {
				t.Errorf("%s: aws iam %s %s: %q, want it to contain %q", who.name, op.cmd, op.name, got, want)
			}
		}
	}
}
