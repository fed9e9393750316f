package iam

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/trentkms/trent/internal/store"
)

// CallerIdentity is GetCallerIdentity's answer.
type CallerIdentity struct{ UserID, Account, ARN string }

// GetCallerIdentity describes the caller. It needs no permission.
func (s *Service) GetCallerIdentity(caller *Principal) CallerIdentity {
	return CallerIdentity{UserID: caller.UserID, Account: caller.Account, ARN: caller.ARN}
}

// AssumeRoleInput is AssumeRole's request.
type AssumeRoleInput struct {
	RoleARN, RoleSessionName string
	DurationSeconds          int // 0: 3600
}

// Credentials are temporary security credentials.
type Credentials struct {
	AccessKeyID, SecretAccessKey, SessionToken string
	Expiration                                 time.Time
}

// AssumeRoleOutput is AssumeRole's answer.
type AssumeRoleOutput struct {
	Credentials
	AssumedRoleID, AssumedRoleARN string
}

// parseRoleARN splits arn:aws:iam::<account>:role/<path><name>.
func parseRoleARN(arn string) (account, name string, ok bool) {
	rest, found := strings.CutPrefix(arn, "arn:aws:iam::")
	if !found || len(rest) < 13 || rest[12] != ':' || !ValidAccountID(rest[:12]) {
		return "", "", false
	}
	res, found := strings.CutPrefix(rest[13:], "role/")
	if !found || res == "" || strings.HasSuffix(res, "/") {
		return "", "", false
	}
	return rest[:12], res[strings.LastIndexByte(res, '/')+1:], true
}

// AssumeRole issues temporary credentials for a role. callerKeyID is the
// access key the request was signed with. The role's trust policy and the
// caller's identity permission are decided by the TrustChecker.
func (s *Service) AssumeRole(ctx context.Context, caller *Principal, callerKeyID string, in AssumeRoleInput) (AssumeRoleOutput, error) {
	var v validation
	if n := len(in.RoleARN); n < 20 || n > 2048 {
		v.add(in.RoleARN, "roleArn", "Member must have length greater than or equal to 20")
		if n > 2048 {
			v.msgs[len(v.msgs)-1] = "Value '" + in.RoleARN + "' at 'roleArn' failed to satisfy constraint: Member must have length less than or equal to 2048"
		}
	}
	v.name(in.RoleSessionName, "roleSessionName", 2, 64)
	dur := in.DurationSeconds
	if dur == 0 {
		dur = defaultSessionDur
	}
	if dur < minSessionDuration {
		v.add(itoa(dur), "durationSeconds", "Member must have value greater than or equal to 900")
	} else if dur > maxSessionDuration {
		v.add(itoa(dur), "durationSeconds", "Member must have value less than or equal to 43200")
	}
	if err := v.err(); err != nil {
		return AssumeRoleOutput{}, err
	}
	if caller.Type == TypeRoot {
		return AssumeRoleOutput{}, errorf(KindAccessDenied, "Roles may not be assumed by root accounts.")
	}
	account, name, ok := parseRoleARN(in.RoleARN)
	if !ok {
		return AssumeRoleOutput{}, errorf(KindValidation, in.RoleARN+" is invalid")
	}
	denied := errorf(KindAccessDenied, "User: "+caller.ARN+" is not authorized to perform: sts:AssumeRole on resource: "+in.RoleARN)
	e, err := s.dir.role(ctx, account, name)
	if errors.Is(err, store.ErrNotFound) {
		return AssumeRoleOutput{}, denied
	}
	if err != nil {
		return AssumeRoleOutput{}, s.internal(ctx, "AssumeRole", err)
	}
	if !strings.EqualFold(e.role.ARN, in.RoleARN) {
		return AssumeRoleOutput{}, denied // another path
	}
	allowed, err := s.trust.MayAssume(e.role.TrustPolicy, e.role.TrustPrincipals, e.role.ARN, caller)
	if err != nil {
		return AssumeRoleOutput{}, s.internal(ctx, "AssumeRole", err)
	}
	if !allowed {
		return AssumeRoleOutput{}, denied
	}
	if caller.Type == TypeAssumedRole && dur > maxChainedDuration {
		return AssumeRoleOutput{}, errorf(KindValidation, "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.")
	}
	if dur > e.role.MaxSessionDuration {
		return AssumeRoleOutput{}, errorf(KindValidation, "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.")
	}
	source := callerKeyID
	if caller.sourceKey != "" {
		source = caller.sourceKey
	}
	id, secret, err := newSessionKey()
	if err != nil {
		return AssumeRoleOutput{}, s.internal(ctx, "AssumeRole", err)
	}
	now := s.now().UTC().Truncate(time.Second)
	exp := now.Add(time.Duration(dur) * time.Second)
	tok, err := sealToken(s.sec, &claims{AccessKeyID: id, Secret: secret, Account: e.role.Account, RoleName: e.role.Name,
		RoleID: e.role.ID, SessionName: in.RoleSessionName, SourceKey: source, Issued: now.Unix(), Expires: exp.Unix()})
	if err != nil {
		return AssumeRoleOutput{}, s.internal(ctx, "AssumeRole", err)
	}
	p := sessionPrincipal(e, in.RoleSessionName)
	return AssumeRoleOutput{
		Credentials:    Credentials{AccessKeyID: id, SecretAccessKey: secret, SessionToken: tok, Expiration: exp},
		AssumedRoleID:  p.UserID,
		AssumedRoleARN: p.ARN,
	}, nil
}

func itoa(n int) string { return strconv.Itoa(n) }
