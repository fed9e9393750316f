package policy

import "strings"

const (
	acctA  = "111122223333"
	acctB  = "444455556666"
	keyARN = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
	keyB   = "arn:aws:kms:us-east-1:444455556666:key/0987dcba-09fe-87dc-65ba-ab0987654321"
)

var (
	alice = &Principal{ARN: "arn:aws:iam::111122223333:user/alice", Account: acctA, Type: TypeIAMUser,
		UserID: "AIDAALICE", Username: "alice", Tags: map[string]string{"team": "blue", "Project": "Apollo"}}
	bob = &Principal{ARN: "arn:aws:iam::111122223333:user/eng/bob", Account: acctA, Type: TypeIAMUser,
		UserID: "AIDABOB", Username: "bob"}
	rootA = &Principal{ARN: "arn:aws:iam::111122223333:root", Account: acctA, Type: TypeRoot, UserID: acctA}
	sess  = &Principal{ARN: "arn:aws:sts::111122223333:assumed-role/Admin/s1", Account: acctA, Type: TypeAssumedRole,
		UserID: "AROAADMIN:s1", RoleARN: "arn:aws:iam::111122223333:role/ops/Admin", RoleID: "AROAADMIN", Tags: map[string]string{"team": "red"}}
	carol = &Principal{ARN: "arn:aws:iam::444455556666:user/carol", Account: acctB, Type: TypeIAMUser,
		UserID: "AIDACAROL", Username: "carol"}
	rootB = &Principal{ARN: "arn:aws:iam::444455556666:root", Account: acctB, Type: TypeRoot, UserID: acctB}
)

// testIDs binds the principal ARNs the tests name to the unique IDs of the
// principals above (mustParse binds every policy with it), as a put binds
// them to the principals that exist.
var testIDs = map[string]string{
	alice.ARN: alice.UserID, bob.ARN: bob.UserID, carol.ARN: carol.UserID,
	sess.RoleARN: sess.RoleID, sess.ARN: sess.RoleID,
	"arn:aws:sts::111122223333:assumed-role/Admin/s2": sess.RoleID,
	"arn:aws:iam::444455556666:role/a/b":              "AROAAB",
	"arn:aws:sts::444455556666:assumed-role/r/s":      "AROARS",
}

func init() {
	for i := 0; i < 6; i++ {
		testIDs["arn:aws:iam::111122223333:user/u"+string(rune('0'+i))] = "AIDAU" + string(rune('0'+i))
	}
}

// doc wraps statements in a 2012-10-17 policy document.
func doc(stmts ...string) string {
	return `{"Version":"2012-10-17","Statement":[` + strings.Join(stmts, ",") + `]}`
}

// allowCond is an identity policy allowing kms:* on * under one Condition body.
func allowCond(cond string) string {
	return doc(`{"Effect":"Allow","Action":"kms:*","Resource":"*","Condition":{` + cond + `}}`)
}

// kctx builds a Values context: pairs of key, then values separated by "|"
// ("" after the key means a present, empty multi-valued key).
func kctx(kv ...string) *Values {
	v := &Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == "" {
			v.Set(kv[i])
			continue
		}
		v.Set(kv[i], strings.Split(kv[i+1], "|")...)
	}
	return v
}
