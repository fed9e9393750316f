package api

import (
	"encoding/xml"
	"net/url"
	"strconv"
	"time"

	"github.com/trentkms/trent/internal/iam"
	"github.com/trentkms/trent/internal/store"
)

// IAMDecision is Config.AuthorizeIAM's answer. Its zero value is invalid
// and, as every value but IAMAllow, refuses.
type IAMDecision int

const (
	IAMAllow        IAMDecision = iota + 1 // an identity policy allows and none denies
	IAMNoAllow                             // no identity policy allows (an implicit deny)
	IAMExplicitDeny                        // a Deny in an identity policy applies
)

func (d IAMDecision) String() string {
	switch d {
	case IAMAllow:
		return "Allow"
	case IAMNoAllow:
		return "NoAllow"
	case IAMExplicitDeny:
		return "ExplicitDeny"
	}
	return "IAMDecision(" + strconv.Itoa(int(d)) + ")"
}

// decideIAM asks Config.AuthorizeIAM; without it nobody is allowed (the
// root does not ask).
func (h *Handler) decideIAM(caller *iam.Principal, action, resource string) (IAMDecision, error) {
	if h.authorize == nil {
		return IAMNoAllow, nil
	}
	return h.authorize(caller, action, resource)
}

// iamDenied is IAM's AccessDenied for a refusal of action on resource, in
// AWS's words for its cause (IAM User Guide, "Troubleshooting access
// denied error messages"): "with an explicit deny in an identity-based
// policy" when a Deny applies, "because no identity-based policy allows
// the ACTION action" otherwise. The resource is always an ARN, the form
// that guide documents (AWS's IAM has also been seen to write a user or
// role as "user NAME").
func iamDenied(caller *iam.Principal, action, resource string, d IAMDecision) error {
	msg := "User: " + caller.ARN + " is not authorized to perform: " + action + " on resource: " + resource
	if d == IAMExplicitDeny {
		msg += " with an explicit deny in an identity-based policy"
	} else {
		msg += " because no identity-based policy allows the " + action + " action"
	}
	return &iam.Error{Kind: iam.KindAccessDenied, Message: msg}
}

// authorizeIAM decides whether caller may perform the IAM action (e.g.
// "iam:CreateUser") on resource (an ARN). The account root may do anything
// in its account. Anyone else needs Config.AuthorizeIAM — the integrator's
// hook for the policy engine's evaluation of the caller's identity
// policies — to say yes; without it only the root may call IAM.
func (h *Handler) authorizeIAM(caller *iam.Principal, action, resource string) error {
	return h.authorizeIAMNamed(caller, action, resource, resource)
}

// authorizeIAMNamed decides action on resource, the ARN of the user or
// role a request names, path included, where plain is the ARN the name
// has without a path (what a name that names nobody is decided on, see
// iam.Service.UserResource). The decision is resource's alone. A refusal
// names resource and its cause, unless plain would have been refused too:
// then it is plain's refusal, word for word the answer for a principal of
// that name that does not exist, so that a caller who may not act on a
// name learns from the error neither whether a principal of that name
// exists nor its path. (A caller refused only because of the path, one
// allowed on plain, could tell anyway: it gets AccessDenied where an
// unknown name gets NoSuchEntity, as in AWS.)
func (h *Handler) authorizeIAMNamed(caller *iam.Principal, action, resource, plain string) error {
	if caller.Type == iam.TypeRoot {
		return nil
	}
	d, err := h.decideIAM(caller, action, resource)
	if err != nil || d == IAMAllow {
		return err
	}
	if plain != resource {
		pd, err := h.decideIAM(caller, action, plain)
		if err != nil {
			return err
		}
		if pd != IAMAllow {
			d, resource = pd, plain
		}
	}
	return iamDenied(caller, action, resource, d)
}

// authorizeUser decides action on the user name (the calling user itself
// when name is ""), under the user's ARN with its path: the handler looks
// the user up before it authorizes, so that a policy on a path (say a
// Deny on user/admin/*) governs every operation on the users under it.
func (h *Handler) authorizeUser(c *queryCall, action, name string) error {
	if c.caller.Type == iam.TypeRoot {
		return nil // no lookup: the root may do anything in its account
	}
	if name == "" {
		return h.authorizeIAM(c.caller, action, userResource(c, name))
	}
	res, err := h.iamSvc.UserResource(c.r.Context(), c.caller, name)
	if err != nil {
		return err
	}
	return h.authorizeIAMNamed(c.caller, action, res, iam.UserARN(c.caller.Account, "/", name))
}

// authorizeRole is authorizeUser for the role name.
func (h *Handler) authorizeRole(c *queryCall, action, name string) error {
	if c.caller.Type == iam.TypeRoot {
		return nil
	}
	res, err := h.iamSvc.RoleResource(c.r.Context(), c.caller, name)
	if err != nil {
		return err
	}
	return h.authorizeIAMNamed(c.caller, action, res, iam.RoleARN(c.caller.Account, "/", name))
}

// userResource is the resource of an operation on the calling user's own
// identity (no UserName): the caller's ARN for a user; for anyone else,
// whom the operation then refuses for want of a name, every user.
func userResource(c *queryCall, name string) string {
	if name == "" {
		if c.caller.Type == iam.TypeUser {
			return c.caller.ARN
		}
		name = "*"
	}
	return iam.UserARN(c.caller.Account, "/", name)
}

// maxItemsParam returns a List operation's MaxItems: 0 when the request
// has none (the operation's default), else a number IAM's model allows,
// 1 to 1000; anything else is a ValidationError.
func maxItemsParam(c *queryCall) (int, error) {
	v, present := c.params["MaxItems"]
	if !present {
		return 0, nil
	}
	n, ok := c.params.int("MaxItems")
	if !ok {
		return 0, invalidInteger("maxItems", v)
	}
	return n, iam.CheckMaxItems(n)
}

// Wire shapes.

type xmlTag struct {
	Key, Value string
}

type xmlUser struct {
	Path       string `xml:",omitempty"`
	UserName   string `xml:",omitempty"`
	UserId     string
	Arn        string
	CreateDate string
	Tags       *[]xmlTag `xml:"Tags>member,omitempty"`
}

func tagsXML(ts []store.Tag) *[]xmlTag {
	if len(ts) == 0 {
		return nil
	}
	out := make([]xmlTag, 0, len(ts))
	for _, t := range ts {
		out = append(out, xmlTag{t.Key, t.Value})
	}
	return &out
}

func userXML(u store.User) xmlUser {
	return xmlUser{Path: u.Path, UserName: u.Name, UserId: u.ID, Arn: u.ARN, CreateDate: xmlTime(u.CreatedAt), Tags: tagsXML(u.Tags)}
}

type xmlRole struct {
	Path                     string
	RoleName                 string
	RoleId                   string
	Arn                      string
	CreateDate               string
	AssumeRolePolicyDocument string
	Description              string `xml:",omitempty"`
	MaxSessionDuration       int
	Tags                     *[]xmlTag `xml:"Tags>member,omitempty"`
}

func roleXML(r store.Role) xmlRole {
	return xmlRole{Path: r.Path, RoleName: r.Name, RoleId: r.ID, Arn: r.ARN, CreateDate: xmlTime(r.CreatedAt),
		AssumeRolePolicyDocument: url.PathEscape(r.TrustPolicy), Description: r.Description,
		MaxSessionDuration: r.MaxSessionDuration, Tags: tagsXML(r.Tags)}
}

type xmlAccessKeyMeta struct {
	UserName    string `xml:",omitempty"`
	AccessKeyId string
	Status      string
	CreateDate  string
}

func keyStatus(active bool) string {
	if active {
		return "Active"
	}
	return "Inactive"
}

type userResult struct {
	XMLName xml.Name
	User    xmlUser
}

type listUsersResult struct {
	XMLName     xml.Name
	Users       []xmlUser `xml:"Users>member"`
	IsTruncated bool
	Marker      string `xml:",omitempty"`
}

type createAccessKeyResult struct {
	XMLName   xml.Name
	AccessKey struct {
		UserName        string `xml:",omitempty"`
		AccessKeyId     string
		Status          string
		SecretAccessKey string
		CreateDate      string
	}
}

type listAccessKeysResult struct {
	XMLName           xml.Name
	AccessKeyMetadata []xmlAccessKeyMeta `xml:"AccessKeyMetadata>member"`
	IsTruncated       bool
	UserName          string `xml:",omitempty"`
}

type policyResult struct {
	XMLName        xml.Name
	UserName       string `xml:",omitempty"`
	RoleName       string `xml:",omitempty"`
	PolicyName     string
	PolicyDocument string
}

type policyNamesResult struct {
	XMLName     xml.Name
	PolicyNames []string `xml:"PolicyNames>member"`
	IsTruncated bool
}

type roleResult struct {
	XMLName xml.Name
	Role    xmlRole
}

type listRolesResult struct {
	XMLName     xml.Name
	Roles       []xmlRole `xml:"Roles>member"`
	IsTruncated bool
	Marker      string `xml:",omitempty"`
}

func invalidInteger(name, value string) error {
	return &iam.Error{Kind: iam.KindValidation, Message: "1 validation error detected: Value '" + value + "' at '" + name + "' failed to satisfy constraint: Member must be a number"}
}

func (h *Handler) iamQueryRoutes() map[string]queryOp {
	s := h.iamSvc
	return map[string]queryOp{
		"CreateUser": func(c *queryCall) (any, error) {
			name := c.params["UserName"]
			// The new user's ARN, from the Path it will have.
			if err := h.authorizeIAM(c.caller, c.action(), iam.UserARN(c.caller.Account, c.params["Path"], name)); err != nil {
				return nil, err
			}
			u, err := s.CreateUser(c.r.Context(), c.caller, iam.CreateUserInput{UserName: name, Path: c.params["Path"], Tags: c.params.tags()})
			if err != nil {
				return nil, err
			}
			return &userResult{User: userXML(u)}, nil
		},
		"GetUser": func(c *queryCall) (any, error) {
			name := c.params["UserName"]
			if name != "" || c.caller.Type != iam.TypeUser { // anyone may describe themselves
				if err := h.authorizeUser(c, c.action(), name); err != nil {
					return nil, err
				}
			}
			u, err := s.GetUser(c.r.Context(), c.caller, name)
			if err != nil {
				return nil, err
			}
			x := userXML(u)
			if u.Name == "" {
				x.Path, x.CreateDate = "", xmlTime(time.Time{})
			}
			return &userResult{User: x}, nil
		},
		"ListUsers": func(c *queryCall) (any, error) {
			max, err := maxItemsParam(c)
			if err != nil {
				return nil, err
			}
			if err := h.authorizeIAM(c.caller, c.action(), "arn:aws:iam::"+c.caller.Account+":user/"); err != nil {
				return nil, err
			}
			us, page, err := s.ListUsers(c.r.Context(), c.caller, c.params["PathPrefix"], c.params["Marker"], max)
			if err != nil {
				return nil, err
			}
			out := &listUsersResult{IsTruncated: page.IsTruncated, Marker: page.Marker, Users: []xmlUser{}}
			for _, u := range us {
				x := userXML(u)
				x.Tags = nil // ListUsers does not return tags
				out.Users = append(out.Users, x)
			}
			return out, nil
		},
		"DeleteUser": func(c *queryCall) (any, error) {
			name := c.params["UserName"]
			if err := h.authorizeUser(c, c.action(), name); err != nil {
				return nil, err
			}
			return nil, s.DeleteUser(c.r.Context(), c.caller, name)
		},
		"CreateAccessKey": func(c *queryCall) (any, error) {
			name := c.params["UserName"]
			if err := h.authorizeUser(c, c.action(), name); err != nil {
				return nil, err
			}
			k, secret, err := s.CreateAccessKey(c.r.Context(), c.caller, name)
			if err != nil {
				return nil, err
			}
			out := &createAccessKeyResult{}
			out.AccessKey.UserName, out.AccessKey.AccessKeyId, out.AccessKey.Status = k.UserName, k.ID, keyStatus(k.Active)
			out.AccessKey.SecretAccessKey, out.AccessKey.CreateDate = secret, xmlTime(k.CreatedAt)
			return out, nil
		},
		"ListAccessKeys": func(c *queryCall) (any, error) {
			name := c.params["UserName"]
			// MaxItems is checked but not applied: the list is short (2
			// access keys at most; the inline policies the size quota
			// leaves room for) and is answered whole, IsTruncated false.
			if _, err := maxItemsParam(c); err != nil {
				return nil, err
			}
			if err := h.authorizeUser(c, c.action(), name); err != nil {
				return nil, err
			}
			ks, err := s.ListAccessKeys(c.r.Context(), c.caller, name)
			if err != nil {
				return nil, err
			}
			out := &listAccessKeysResult{AccessKeyMetadata: []xmlAccessKeyMeta{}}
			for _, k := range ks {
				out.AccessKeyMetadata = append(out.AccessKeyMetadata, xmlAccessKeyMeta{k.UserName, k.ID, keyStatus(k.Active), xmlTime(k.CreatedAt)})
				out.UserName = k.UserName
			}
			return out, nil
		},
		"UpdateAccessKey": func(c *queryCall) (any, error) {
			name := c.params["UserName"]
			if err := h.authorizeUser(c, c.action(), name); err != nil {
				return nil, err
			}
			return nil, s.UpdateAccessKey(c.r.Context(), c.caller, name, c.params["AccessKeyId"], c.params["Status"])
		},
		"DeleteAccessKey": func(c *queryCall) (any, error) {
			name := c.params["UserName"]
			if err := h.authorizeUser(c, c.action(), name); err != nil {
				return nil, err
			}
			return nil, s.DeleteAccessKey(c.r.Context(), c.caller, name, c.params["AccessKeyId"])
		},
		"PutUserPolicy": func(c *queryCall) (any, error) {
			name := c.params["UserName"]
			if err := h.authorizeUser(c, c.action(), name); err != nil {
				return nil, err
			}
			return nil, s.PutUserPolicy(c.r.Context(), c.caller, name, c.params["PolicyName"], c.params["PolicyDocument"])
		},
		"GetUserPolicy": func(c *queryCall) (any, error) {
			name := c.params["UserName"]
			if err := h.authorizeUser(c, c.action(), name); err != nil {
				return nil, err
			}
			p, err := s.GetUserPolicy(c.r.Context(), c.caller, name, c.params["PolicyName"])
			if err != nil {
				return nil, err
			}
			u, _ := s.GetUser(c.r.Context(), c.caller, name)
			return &policyResult{UserName: u.Name, PolicyName: p.Name, PolicyDocument: url.PathEscape(p.Document)}, nil
		},
		"ListUserPolicies": func(c *queryCall) (any, error) {
			name := c.params["UserName"]
			// MaxItems is checked but not applied: the list is short (2
			// access keys at most; the inline policies the size quota
			// leaves room for) and is answered whole, IsTruncated false.
			if _, err := maxItemsParam(c); err != nil {
				return nil, err
			}
			if err := h.authorizeUser(c, c.action(), name); err != nil {
				return nil, err
			}
			names, err := s.ListUserPolicies(c.r.Context(), c.caller, name)
			if err != nil {
				return nil, err
			}
			return &policyNamesResult{PolicyNames: names}, nil
		},
		"DeleteUserPolicy": func(c *queryCall) (any, error) {
			name := c.params["UserName"]
			if err := h.authorizeUser(c, c.action(), name); err != nil {
				return nil, err
			}
			return nil, s.DeleteUserPolicy(c.r.Context(), c.caller, name, c.params["PolicyName"])
		},
		"TagUser": func(c *queryCall) (any, error) {
			name := c.params["UserName"]
			if err := h.authorizeUser(c, c.action(), name); err != nil {
				return nil, err
			}
			return nil, s.TagUser(c.r.Context(), c.caller, name, c.params.tags())
		},
		"CreateRole": func(c *queryCall) (any, error) {
			name := c.params["RoleName"]
			// The new role's ARN, from the Path it will have.
			if err := h.authorizeIAM(c.caller, c.action(), iam.RoleARN(c.caller.Account, c.params["Path"], name)); err != nil {
				return nil, err
			}
			max, ok := c.params.int("MaxSessionDuration")
			if !ok {
				return nil, invalidInteger("maxSessionDuration", c.params["MaxSessionDuration"])
			}
			r, err := s.CreateRole(c.r.Context(), c.caller, iam.CreateRoleInput{RoleName: name, Path: c.params["Path"],
				AssumeRolePolicyDocument: c.params["AssumeRolePolicyDocument"], Description: c.params["Description"],
				MaxSessionDuration: max, Tags: c.params.tags()})
			if err != nil {
				return nil, err
			}
			return &roleResult{Role: roleXML(r)}, nil
		},
		"GetRole": func(c *queryCall) (any, error) {
			name := c.params["RoleName"]
			if err := h.authorizeRole(c, c.action(), name); err != nil {
				return nil, err
			}
			r, err := s.GetRole(c.r.Context(), c.caller, name)
			if err != nil {
				return nil, err
			}
			return &roleResult{Role: roleXML(r)}, nil
		},
		"ListRoles": func(c *queryCall) (any, error) {
			max, err := maxItemsParam(c)
			if err != nil {
				return nil, err
			}
			if err := h.authorizeIAM(c.caller, c.action(), "arn:aws:iam::"+c.caller.Account+":role/"); err != nil {
				return nil, err
			}
			rs, page, err := s.ListRoles(c.r.Context(), c.caller, c.params["PathPrefix"], c.params["Marker"], max)
			if err != nil {
				return nil, err
			}
			out := &listRolesResult{IsTruncated: page.IsTruncated, Marker: page.Marker, Roles: []xmlRole{}}
			for _, r := range rs {
				x := roleXML(r)
				x.Tags = nil
				out.Roles = append(out.Roles, x)
			}
			return out, nil
		},
		"DeleteRole": func(c *queryCall) (any, error) {
			name := c.params["RoleName"]
			if err := h.authorizeRole(c, c.action(), name); err != nil {
				return nil, err
			}
			return nil, s.DeleteRole(c.r.Context(), c.caller, name)
		},
		"PutRolePolicy": func(c *queryCall) (any, error) {
			name := c.params["RoleName"]
			if err := h.authorizeRole(c, c.action(), name); err != nil {
				return nil, err
			}
			return nil, s.PutRolePolicy(c.r.Context(), c.caller, name, c.params["PolicyName"], c.params["PolicyDocument"])
		},
		"GetRolePolicy": func(c *queryCall) (any, error) {
			name := c.params["RoleName"]
			if err := h.authorizeRole(c, c.action(), name); err != nil {
				return nil, err
			}
			p, err := s.GetRolePolicy(c.r.Context(), c.caller, name, c.params["PolicyName"])
			if err != nil {
				return nil, err
			}
			r, _ := s.GetRole(c.r.Context(), c.caller, name)
			return &policyResult{RoleName: r.Name, PolicyName: p.Name, PolicyDocument: url.PathEscape(p.Document)}, nil
		},
		"ListRolePolicies": func(c *queryCall) (any, error) {
			name := c.params["RoleName"]
			// MaxItems is checked but not applied: the list is short (2
			// access keys at most; the inline policies the size quota
			// leaves room for) and is answered whole, IsTruncated false.
			if _, err := maxItemsParam(c); err != nil {
				return nil, err
			}
			if err := h.authorizeRole(c, c.action(), name); err != nil {
				return nil, err
			}
			names, err := s.ListRolePolicies(c.r.Context(), c.caller, name)
			if err != nil {
				return nil, err
			}
			return &policyNamesResult{PolicyNames: names}, nil
		},
		"DeleteRolePolicy": func(c *queryCall) (any, error) {
			name := c.params["RoleName"]
			if err := h.authorizeRole(c, c.action(), name); err != nil {
				return nil, err
			}
			return nil, s.DeleteRolePolicy(c.r.Context(), c.caller, name, c.params["PolicyName"])
		},
		"TagRole": func(c *queryCall) (any, error) {
			name := c.params["RoleName"]
			if err := h.authorizeRole(c, c.action(), name); err != nil {
				return nil, err
			}
			return nil, s.TagRole(c.r.Context(), c.caller, name, c.params.tags())
		},
	}
}
