package api

import (
	"encoding/xml"
	"net/url"
	"time"

	"github.com/trentkms/trent/internal/iam"
	"github.com/trentkms/trent/internal/store"
)

// authorizeIAM decides whether caller may perform the IAM action (e.g.
// "iam:CreateUser") on resource (an ARN). The account root may do anything
// in its account. Anyone else needs Config.AuthorizeIAM — the integrator's
// hook for the policy engine's evaluation of the caller's identity
// policies — to say yes; without it only the root may call IAM.
func (h *Handler) authorizeIAM(caller *iam.Principal, action, resource string) error {
	if caller.Type == iam.TypeRoot {
		return nil
	}
	if h.authorize != nil {
		ok, err := h.authorize(caller, action, resource)
		if err != nil {
			return err
		}
		if ok {
			return nil
		}
	}
	return &iam.Error{Kind: iam.KindAccessDenied, Message: "User: " + caller.ARN + " is not authorized to perform: " + action +
		" on resource: " + resource + " because no identity-based policy allows the " + action + " action"}
}

func userResource(c *queryCall, name string) string {
	if name == "" {
		if c.caller.Type == iam.TypeUser {
			return c.caller.ARN
		}
		name = "*"
	}
	return "arn:aws:iam::" + c.caller.Account + ":user/" + name
}

func roleResource(c *queryCall, name string) string {
	return "arn:aws:iam::" + c.caller.Account + ":role/" + name
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
			if err := h.authorizeIAM(c.caller, "iam:CreateUser", userResource(c, name)); err != nil {
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
				if err := h.authorizeIAM(c.caller, "iam:GetUser", userResource(c, name)); err != nil {
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
			if err := h.authorizeIAM(c.caller, "iam:ListUsers", "arn:aws:iam::"+c.caller.Account+":user/"); err != nil {
				return nil, err
			}
			max, ok := c.params.int("MaxItems")
			if !ok {
				return nil, invalidInteger("maxItems", c.params["MaxItems"])
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
			if err := h.authorizeIAM(c.caller, "iam:DeleteUser", userResource(c, name)); err != nil {
				return nil, err
			}
			return nil, s.DeleteUser(c.r.Context(), c.caller, name)
		},
		"CreateAccessKey": func(c *queryCall) (any, error) {
			name := c.params["UserName"]
			if err := h.authorizeIAM(c.caller, "iam:CreateAccessKey", userResource(c, name)); err != nil {
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
			if err := h.authorizeIAM(c.caller, "iam:ListAccessKeys", userResource(c, name)); err != nil {
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
			if err := h.authorizeIAM(c.caller, "iam:UpdateAccessKey", userResource(c, name)); err != nil {
				return nil, err
			}
			return nil, s.UpdateAccessKey(c.r.Context(), c.caller, name, c.params["AccessKeyId"], c.params["Status"])
		},
		"DeleteAccessKey": func(c *queryCall) (any, error) {
			name := c.params["UserName"]
			if err := h.authorizeIAM(c.caller, "iam:DeleteAccessKey", userResource(c, name)); err != nil {
				return nil, err
			}
			return nil, s.DeleteAccessKey(c.r.Context(), c.caller, name, c.params["AccessKeyId"])
		},
		"PutUserPolicy": func(c *queryCall) (any, error) {
			name := c.params["UserName"]
			if err := h.authorizeIAM(c.caller, "iam:PutUserPolicy", userResource(c, name)); err != nil {
				return nil, err
			}
			return nil, s.PutUserPolicy(c.r.Context(), c.caller, name, c.params["PolicyName"], c.params["PolicyDocument"])
		},
		"GetUserPolicy": func(c *queryCall) (any, error) {
			name := c.params["UserName"]
			if err := h.authorizeIAM(c.caller, "iam:GetUserPolicy", userResource(c, name)); err != nil {
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
			if err := h.authorizeIAM(c.caller, "iam:ListUserPolicies", userResource(c, name)); err != nil {
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
			if err := h.authorizeIAM(c.caller, "iam:DeleteUserPolicy", userResource(c, name)); err != nil {
				return nil, err
			}
			return nil, s.DeleteUserPolicy(c.r.Context(), c.caller, name, c.params["PolicyName"])
		},
		"TagUser": func(c *queryCall) (any, error) {
			name := c.params["UserName"]
			if err := h.authorizeIAM(c.caller, "iam:TagUser", userResource(c, name)); err != nil {
				return nil, err
			}
			return nil, s.TagUser(c.r.Context(), c.caller, name, c.params.tags())
		},
		"CreateRole": func(c *queryCall) (any, error) {
			name := c.params["RoleName"]
			if err := h.authorizeIAM(c.caller, "iam:CreateRole", roleResource(c, name)); err != nil {
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
			if err := h.authorizeIAM(c.caller, "iam:GetRole", roleResource(c, name)); err != nil {
				return nil, err
			}
			r, err := s.GetRole(c.r.Context(), c.caller, name)
			if err != nil {
				return nil, err
			}
			return &roleResult{Role: roleXML(r)}, nil
		},
		"ListRoles": func(c *queryCall) (any, error) {
			if err := h.authorizeIAM(c.caller, "iam:ListRoles", "arn:aws:iam::"+c.caller.Account+":role/"); err != nil {
				return nil, err
			}
			max, ok := c.params.int("MaxItems")
			if !ok {
				return nil, invalidInteger("maxItems", c.params["MaxItems"])
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
			if err := h.authorizeIAM(c.caller, "iam:DeleteRole", roleResource(c, name)); err != nil {
				return nil, err
			}
			return nil, s.DeleteRole(c.r.Context(), c.caller, name)
		},
		"PutRolePolicy": func(c *queryCall) (any, error) {
			name := c.params["RoleName"]
			if err := h.authorizeIAM(c.caller, "iam:PutRolePolicy", roleResource(c, name)); err != nil {
				return nil, err
			}
			return nil, s.PutRolePolicy(c.r.Context(), c.caller, name, c.params["PolicyName"], c.params["PolicyDocument"])
		},
		"GetRolePolicy": func(c *queryCall) (any, error) {
			name := c.params["RoleName"]
			if err := h.authorizeIAM(c.caller, "iam:GetRolePolicy", roleResource(c, name)); err != nil {
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
			if err := h.authorizeIAM(c.caller, "iam:ListRolePolicies", roleResource(c, name)); err != nil {
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
			if err := h.authorizeIAM(c.caller, "iam:DeleteRolePolicy", roleResource(c, name)); err != nil {
				return nil, err
			}
			return nil, s.DeleteRolePolicy(c.r.Context(), c.caller, name, c.params["PolicyName"])
		},
		"TagRole": func(c *queryCall) (any, error) {
			name := c.params["RoleName"]
			if err := h.authorizeIAM(c.caller, "iam:TagRole", roleResource(c, name)); err != nil {
				return nil, err
			}
			return nil, s.TagRole(c.r.Context(), c.caller, name, c.params.tags())
		},
	}
}
