package harness

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// Missing skips t because a client, service or file the suite needs is
// absent, or fails it when TRENT_REQUIRE_ALL=1 (CI, where a skip would hide
// a suite that did not run).
func Missing(t testing.TB, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if os.Getenv("TRENT_REQUIRE_ALL") == "1" {
		t.Fatalf("%s (TRENT_REQUIRE_ALL=1)", msg)
	}
	t.Skip(msg)
}

// RepoRoot is the directory holding go.mod, found upward from the working
// directory (the package directory under go test).
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the working directory")
		}
		dir = parent
	}
}

// AWSDataPath returns the directory to give the AWS CLI and boto3 as
// AWS_DATA_PATH: the repository's internal/kmsmodel/awsdata, which holds
// the KMS model Trent serves (Debian's clients are older; see
// internal/kmsmodel/README.md).
func AWSDataPath() (string, error) {
	root, err := RepoRoot()
	if err != nil {
		return "", err
	}
	dp := filepath.Join(root, "internal", "kmsmodel", "awsdata")
	if _, err := os.Stat(filepath.Join(dp, "kms", "2014-11-01", "service-2.json")); err != nil {
		return "", fmt.Errorf("AWS_DATA_PATH %s holds no kms/2014-11-01/service-2.json: %v", dp, err)
	}
	return dp, nil
}
