package iam

import (
	"crypto/rand"
	"encoding/base32"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// sessionKeyPrefix starts the access key ID of temporary credentials.
const sessionKeyPrefix = "ASIA"

// maxTokenLen bounds the session tokens the directory will try to open.
const maxTokenLen = 4096

// tokenVersion is the claims format version (docs/session-token.md).
const tokenVersion = 1

// claims is what a session token seals. See docs/session-token.md.
type claims struct {
	V           int    `json:"v"`
	AccessKeyID string `json:"k"`
	Secret      string `json:"s"`
	Account     string `json:"a"`
	RoleName    string `json:"rn"`
	RoleID      string `json:"ri"`
	SessionName string `json:"sn"`
	SourceKey   string `json:"src"`
	Issued      int64  `json:"iat"`
	Expires     int64  `json:"exp"`
}

func (c *claims) expires() time.Time { return time.Unix(c.Expires, 0) }

// tokenLabel binds a sealed token to its session access key ID: opening a
// token under another access key ID fails authentication.
func tokenLabel(accessKeyID string) string { return "sts-session-token:" + accessKeyID }

// newSessionKey returns a fresh session access key ID and secret.
func newSessionKey() (string, string, error) {
	var idb [10]byte
	var sb [30]byte
	if _, err := rand.Read(idb[:]); err != nil {
		return "", "", err
	}
	if _, err := rand.Read(sb[:]); err != nil {
		return "", "", err
	}
	return sessionKeyPrefix + base32.StdEncoding.EncodeToString(idb[:])[:16], base64.StdEncoding.EncodeToString(sb[:]), nil
}

// sealToken returns the session token of c: the claims as JSON, sealed by
// the keyring's secret wrapping (AES-256-GCM under the domain's wrapping
// key, the label in the additional data), in standard base64.
func sealToken(secrets Secrets, c *claims) (string, error) {
	c.V = tokenVersion
	pt, err := json.Marshal(c)
	if err != nil {
		return "", err
	}
	defer clear(pt)
	blob, err := secrets.WrapSecret(tokenLabel(c.AccessKeyID), pt)
	if err != nil {
		return "", fmt.Errorf("seal session token: %w", err)
	}
	return base64.StdEncoding.EncodeToString(blob), nil
}

var errBadToken = errors.New("iam: invalid session token")

// openToken authenticates and decodes a session token presented with
// access key id. Any failure is errBadToken.
func openToken(secrets Secrets, id, token string) (*claims, error) {
	if len(token) == 0 || len(token) > maxTokenLen {
		return nil, errBadToken
	}
	blob, err := base64.StdEncoding.DecodeString(token)
	if err != nil {
		return nil, errBadToken
	}
	pt, err := secrets.UnwrapSecret(tokenLabel(id), blob)
	if err != nil {
		return nil, errBadToken
	}
	defer clear(pt)
	var c claims
	if err := json.Unmarshal(pt, &c); err != nil || c.V != tokenVersion || c.AccessKeyID != id || c.SourceKey == "" || c.RoleID == "" {
		return nil, errBadToken
	}
	return &c, nil
}
