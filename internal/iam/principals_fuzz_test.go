package iam

import (
	"strings"
	"testing"
)

// FuzzPrincipalKind checks the ARN parser that decides what binds: it
// never panics, and what it accepts is exactly the ARN of the user, role
// or role session it names.
func FuzzPrincipalKind(f *testing.F) {
	seeds := []string{
		"arn:aws:iam::111122223333:user/eng/alice",
		"arn:aws:iam::111122223333:role/app",
		"arn:aws:sts::111122223333:assumed-role/app/s1",
		"arn:aws:iam::111122223333:root",
		"arn:aws:sts::111122223333:assumed-role/app/s1/x",
		"arn:aws:iam::1111:user/a",
		"arn:aws:iam::111122223333:user/",
	}
	if len(seeds) == 0 {
		f.Fatal("no seeds")
	}
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, arn string) {
		kind, account, name, session, ok := principalKind(arn)
		if !ok {
			return
		}
		if !ValidAccountID(account) || name == "" || strings.Contains(name, "/") {
			t.Fatalf("principalKind(%q) = %q, %q, %q, %q", arn, kind, account, name, session)
		}
		switch kind {
		case "user", "role":
			prefix := "arn:aws:iam::" + account + ":" + kind + "/"
			if session != "" || !strings.HasPrefix(arn, prefix) || !strings.HasSuffix(arn, name) ||
				arn != prefix+name && !strings.HasSuffix(arn, "/"+name) || strings.HasSuffix(arn, "/") {
				t.Fatalf("principalKind(%q) = %q, %q, %q", arn, kind, account, name)
			}
		case "session":
			if arn != "arn:aws:sts::"+account+":assumed-role/"+name+"/"+session || session == "" || strings.Contains(session, "/") {
				t.Fatalf("principalKind(%q) = session %q, %q, %q", arn, account, name, session)
			}
		default:
			t.Fatalf("principalKind(%q): kind %q", arn, kind)
		}
	})
}
