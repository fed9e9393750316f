package api

import (
	"encoding/xml"
	"github.com/trentkms/trent/internal/iam"
)

type callerIdentityResult struct {
	XMLName xml.Name
	Arn     string
	UserId  string
	Account string
}

type assumeRoleResult struct {
	XMLName     xml.Name
	Credentials struct {
		AccessKeyId     string
		SecretAccessKey string
		SessionToken    string
		Expiration      string
	}
	AssumedRoleUser struct {
		AssumedRoleId string
		Arn           string
	}
	PackedPolicySize int `xml:",omitempty"`
}

func (h *Handler) stsQueryRoutes() map[string]queryOp {
	s := h.iamSvc
	return map[string]queryOp{
		"GetCallerIdentity": func(c *queryCall) (any, error) {
			id := s.GetCallerIdentity(c.caller)
			return &callerIdentityResult{Arn: id.ARN, UserId: id.UserID, Account: id.Account}, nil
		},
		"AssumeRole": func(c *queryCall) (any, error) {
			dur, ok := c.params.int("DurationSeconds")
			if !ok {
				return nil, invalidInteger("durationSeconds", c.params["DurationSeconds"])
			}
			out, err := s.AssumeRole(c.r.Context(), c.caller, c.res.AccessKeyID, iam.AssumeRoleInput{
				RoleARN: c.params["RoleArn"], RoleSessionName: c.params["RoleSessionName"], DurationSeconds: dur})
			if err != nil {
				return nil, err
			}
			r := &assumeRoleResult{}
			r.Credentials.AccessKeyId, r.Credentials.SecretAccessKey = out.AccessKeyID, out.SecretAccessKey
			r.Credentials.SessionToken, r.Credentials.Expiration = out.SessionToken, xmlTime(out.Expiration)
			r.AssumedRoleUser.AssumedRoleId, r.AssumedRoleUser.Arn = out.AssumedRoleID, out.AssumedRoleARN
			return r, nil
		},
	}
}
