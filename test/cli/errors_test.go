package cli_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/google/uuid"
)

// TestErrors checks the errors a CLI user sees: the code in "An error
// occurred (CODE) when calling the OP operation: MESSAGE", and for the
// messages AWS KMS is known to send, the message.
func TestErrors(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		unknown := uuid.NewString()
		key := e.createKey("errors")
		e.file("f", []byte("some plaintext"))

		tests := []struct {
			name, op, code string
			args           []string
			msg            string // exact message; "" checks only the code
		}{
			{
				name: "describe-key unknown key ID", op: "DescribeKey", code: "NotFoundException",
				args: []string{"kms", "describe-key", "--key-id", unknown},
				msg:  fmt.Sprintf("Key '%s' does not exist", e.keyARN(unknown)),
			},
			{
				name: "describe-key unknown key ARN", op: "DescribeKey", code: "NotFoundException",
				args: []string{"kms", "describe-key", "--key-id", e.keyARN(unknown)},
				msg:  fmt.Sprintf("Key '%s' does not exist", e.keyARN(unknown)),
			},
			{
				name: "describe-key alias/nope", op: "DescribeKey", code: "NotFoundException",
				args: []string{"kms", "describe-key", "--key-id", "alias/nope"},
				msg:  fmt.Sprintf("Alias %s is not found.", e.aliasARN("alias/nope")),
			},
			{
				name: "encrypt with an unknown key", op: "Encrypt", code: "NotFoundException",
				args: []string{"kms", "encrypt", "--key-id", unknown, "--plaintext", "fileb://f"},
				msg:  fmt.Sprintf("Key '%s' does not exist", e.keyARN(unknown)),
			},
			{
				name: "enable-key unknown key", op: "EnableKey", code: "NotFoundException",
				args: []string{"kms", "enable-key", "--key-id", unknown},
			},
			{
				name: "create-alias alias/aws/x", op: "CreateAlias", code: "InvalidAliasNameException",
				args: []string{"kms", "create-alias", "--alias-name", "alias/aws/x", "--target-key-id", key},
			},
			{
				name: "create-alias for an unknown key", op: "CreateAlias", code: "NotFoundException",
				args: []string{"kms", "create-alias", "--alias-name", "alias/orphan", "--target-key-id", unknown},
			},
			{
				name: "delete-alias alias/nope", op: "DeleteAlias", code: "NotFoundException",
				args: []string{"kms", "delete-alias", "--alias-name", "alias/nope"},
			},
			{
				name: "generate-random 1025 bytes", op: "GenerateRandom", code: "ValidationException",
				args: []string{"kms", "generate-random", "--number-of-bytes", "1025"},
				msg:  "1 validation error detected: Value '1025' at 'numberOfBytes' failed to satisfy constraint: Member must have value less than or equal to 1024",
			},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				e := *e
				e.t = t
				msg := e.fails(tc.op, tc.code, tc.args...)
				if tc.msg != "" && msg != tc.msg {
					t.Errorf("message %q, want %q", msg, tc.msg)
				}
			})
		}

		t.Run("encrypt 4097 bytes", func(t *testing.T) {
			e := *e
			e.t = t
			e.file("big", make([]byte, 4097))
			msg := e.fails("Encrypt", "ValidationException", "kms", "encrypt", "--key-id", key, "--plaintext", "fileb://big")
			if want := "1 validation error detected: Value at 'plaintext' failed to satisfy constraint: Member must have length less than or equal to 4096"; msg != want {
				t.Errorf("message %q, want %q", msg, want)
			}
		})

		t.Run("encrypt with a disabled key", func(t *testing.T) {
			e := *e
			e.t = t
			e.okEmpty("kms", "disable-key", "--key-id", key)
			defer e.okEmpty("kms", "enable-key", "--key-id", key)
			msg := e.fails("Encrypt", "DisabledException", "kms", "encrypt", "--key-id", key, "--plaintext", "fileb://f")
			if want := e.keyARN(key) + " is disabled."; msg != want {
				t.Errorf("message %q, want %q", msg, want)
			}
		})

		if e.tls {
			// Without AWS_CA_BUNDLE the CLI must refuse the test CA's
			// certificate: the HTTPS runs do verify it.
			t.Run("https without AWS_CA_BUNDLE", func(t *testing.T) {
				e := *e
				e.t = t
				vars := slices.DeleteFunc(slices.Clone(e.vars), func(kv string) bool { return strings.HasPrefix(kv, "AWS_CA_BUNDLE=") })
				r := e.runEnv(vars, "kms", "list-keys")
				if r.exit == 0 || !strings.Contains(r.stderr, "SSL validation failed") && !strings.Contains(r.stderr, "CERTIFICATE_VERIFY_FAILED") {
					t.Errorf("want a certificate verification failure:\n%s", r)
				}
			})
		}
	})
}
