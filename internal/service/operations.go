package service

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"

	"github.com/trentkms/trent/internal/audit"
	"github.com/trentkms/trent/internal/kmsapi"
)

// Operation describes one operation that Trent serves: a KMS operation,
// an IAM or STS action, or CloudTrail's LookupEvents. The table below
// (Operations) is the one list of them: internal/api routes requests by
// it and records what it says in audit events and metrics, and
// authorization takes each operation's actions from it. Adding a KMS
// operation is one entry here, naming the model's operation (kmsapi) and
// the Service method that runs it, plus that method.
type Operation struct {
	Name string // "Encrypt"; "CreateUser"; "LookupEvents"
	API  API
	// Model is the KMS operation of the model (its X-Amz-Target, input
	// and output types); nil for the other APIs, whose codecs are
	// internal/api's.
	Model *kmsapi.Operation
	// Actions are the IAM actions the operation is authorized for, each on
	// its kind of resource. Most operations have one; ReEncrypt has
	// kms:ReEncryptFrom on the source key and kms:ReEncryptTo on the
	// destination key.
	Actions []Action
	// Mutates is set for operations that change state: their audit events
	// have readOnly false.
	Mutates bool
	// Request and Response name the members (Go field names, which are
	// the wire names) that the audit event records as requestParameters
	// and responseElements; "Name=VALUE" records VALUE when the request
	// has no Name (audit.Members). Nothing secret may be listed:
	// plaintext, ciphertext, messages, signatures, MACs, key material,
	// import tokens, public keys, attestation documents, grant tokens.
	Request, Response []string
	// BodyLimit caps the request body in bytes; 0 means DefaultBodyLimit.
	// A query-protocol request (IAM, STS) names its action in its body,
	// so it is read under the largest limit of its API.
	BodyLimit int64

	// call runs a KMS operation's Service method.
	call func(*Service, context.Context, *Caller, kmsapi.Input) (kmsapi.Output, error)
	// request and response encode the audit members (KMS operations).
	request, response *audit.Members
}

// API is the API an operation belongs to.
type API int

const (
	APIKMS        API = iota + 1 // AWS JSON 1.1, X-Amz-Target TrentService.<Name>
	APIIAM                       // query protocol, SigV4 service iam
	APISTS                       // query protocol, SigV4 service sts
	APICloudTrail                // AWS JSON 1.1, SigV4 service cloudtrail
)

// EventSource is the audit events' eventSource of the API's operations.
func (a API) EventSource() string {
	switch a {
	case APIKMS:
		return audit.SourceKMS
	case APIIAM:
		return audit.SourceIAM
	case APISTS:
		return SourceSTS
	case APICloudTrail:
		return audit.SourceCloudTrail
	}
	return ""
}

// SourceSTS is the eventSource of STS events.
const SourceSTS = "sts.amazonaws.com"

// Action is an IAM action an operation is authorized for.
type Action struct {
	Name     string // "kms:Encrypt", "iam:CreateUser"
	Resource Resource
	// CrossAccount is set when the action may name a key of another
	// account by key ARN or alias ARN (reference/kms-api.md section 3).
	CrossAccount bool
	// Grant is the GrantOperation with which a grant allows the action
	// ("" when no grant can).
	Grant string
}

// Resource says what an action is authorized on; an action may be
// authorized on several (CreateAlias: on the alias and on the key).
type Resource uint8

const (
	// ResourceKey is a KMS key: its key policy, the caller's identity
	// policies and its grants decide.
	ResourceKey Resource = 1 << iota
	// ResourceAlias is an alias ARN: identity policies decide.
	ResourceAlias
	// ResourceAccount is "*", for operations that name no resource:
	// identity policies decide.
	ResourceAccount
	// ResourceUser and ResourceRole are IAM users' and roles' ARNs (with
	// their paths): identity policies decide, and a role's trust policy
	// for sts:AssumeRole.
	ResourceUser
	ResourceRole
	// ResourceNone: nothing is authorized (GetCallerIdentity).
	ResourceNone
)

// DefaultBodyLimit is the body limit of an operation that sets none.
const DefaultBodyLimit = 1 << 20

// Limit returns the operation's body limit in bytes.
func (op *Operation) Limit() int64 {
	if op.BodyLimit > 0 {
		return op.BodyLimit
	}
	return DefaultBodyLimit
}

// RequestParameters returns the audit event's requestParameters for a KMS
// operation's input (nil when it records nothing).
func (op *Operation) RequestParameters(in kmsapi.Input) json.RawMessage {
	return op.request.JSON(in)
}

// ResponseElements returns the audit event's responseElements for a KMS
// operation's output (nil when it records nothing).
func (op *Operation) ResponseElements(out kmsapi.Output) json.RawMessage {
	return op.response.JSON(out)
}

// recordResponse records, as the pending audit event's responseElements,
// the members of out that the table lists for the KMS operation name: for
// an operation whose event commits with its change, before internal/api
// sees out.
func recordResponse(ctx context.Context, name string, out kmsapi.Output) {
	if b := Lookup(APIKMS, name).ResponseElements(out); b != nil {
		audit.SetResponse(ctx, b)
	}
}

// Call runs op, a KMS operation, for the caller: in is checked against
// the model's constraints first (KindValidation with AWS's "N validation
// errors detected" message), then op's method runs. The methods trust
// that check: they must be reached through Call.
func (s *Service) Call(ctx context.Context, c *Caller, op *Operation, in kmsapi.Input) (kmsapi.Output, error) {
	if err := in.Validate(); err != nil {
		return nil, &Error{Kind: KindValidation, Message: err.Error()}
	}
	return op.call(s, ctx, c, in)
}

// method adapts a Service method to Operation.call.
func method[I kmsapi.Input, O kmsapi.Output](m func(*Service, context.Context, *Caller, I) (O, error)) func(*Service, context.Context, *Caller, kmsapi.Input) (kmsapi.Output, error) {
	return func(s *Service, ctx context.Context, c *Caller, in kmsapi.Input) (kmsapi.Output, error) {
		out, err := m(s, ctx, c, in.(I))
		if err != nil {
			return nil, err
		}
		return out, nil
	}
}

// Operations returns the table: every operation Trent serves, KMS first,
// then IAM, STS and CloudTrail. The entries are shared and must not be
// modified.
func Operations() []*Operation { return operations }

// Lookup returns the operation of api called name, or nil.
func Lookup(api API, name string) *Operation {
	return byName[opKey{api, name}]
}

// NotServed lists the operations of the KMS model that Trent does not
// serve, with the reason: they answer UnknownOperationException. A test
// fails for an operation of the model that is neither in the table nor
// here.
var NotServed = map[string]string{
	"ConnectCustomKeyStore":    "custom key stores",
	"CreateCustomKeyStore":     "custom key stores",
	"DeleteCustomKeyStore":     "custom key stores",
	"DescribeCustomKeyStores":  "custom key stores",
	"DisconnectCustomKeyStore": "custom key stores",
	"UpdateCustomKeyStore":     "custom key stores",
	"ReplicateKey":             "multi-Region replication",
	"UpdatePrimaryRegion":      "multi-Region replication",
	"GetKeyLastUsage":          "key usage tracking",
}

// Shorthands of the table.
const (
	cross = true // Action.CrossAccount
)

func onKey(name string, crossAccount bool, grant string) []Action {
	return []Action{{Name: "kms:" + name, Resource: ResourceKey, CrossAccount: crossAccount, Grant: grant}}
}

func onAccount(name string) []Action {
	return []Action{{Name: name, Resource: ResourceAccount}}
}

func onAliasAndKey(name string) []Action {
	return []Action{{Name: "kms:" + name, Resource: ResourceAlias | ResourceKey}}
}

var operations = []*Operation{
	// Keys.
	{Name: "CreateKey", API: APIKMS, Model: kmsapi.OpCreateKey, call: method((*Service).CreateKey), Mutates: true,
		Actions:  onAccount("kms:CreateKey"),
		Request:  []string{"BypassPolicyLockoutSafetyCheck", "CustomKeyStoreId", "CustomerMasterKeySpec", "Description", "KeySpec", "KeyUsage", "MultiRegion", "Origin", "Policy", "Tags", "XksKeyId"},
		Response: []string{"KeyMetadata"}},
	{Name: "DescribeKey", API: APIKMS, Model: kmsapi.OpDescribeKey, call: method((*Service).DescribeKey),
		Actions: onKey("DescribeKey", cross, "DescribeKey"), Request: []string{"KeyId"}},
	{Name: "ListKeys", API: APIKMS, Model: kmsapi.OpListKeys, call: method((*Service).ListKeys),
		Actions: onAccount("kms:ListKeys"), Request: []string{"Limit", "Marker"}},
	{Name: "EnableKey", API: APIKMS, Model: kmsapi.OpEnableKey, call: method((*Service).EnableKey), Mutates: true,
		Actions: onKey("EnableKey", false, ""), Request: []string{"KeyId"}},
	{Name: "DisableKey", API: APIKMS, Model: kmsapi.OpDisableKey, call: method((*Service).DisableKey), Mutates: true,
		Actions: onKey("DisableKey", false, ""), Request: []string{"KeyId"}},
	{Name: "UpdateKeyDescription", API: APIKMS, Model: kmsapi.OpUpdateKeyDescription, call: method((*Service).UpdateKeyDescription), Mutates: true,
		Actions: onKey("UpdateKeyDescription", false, ""), Request: []string{"Description", "KeyId"}},

	// Aliases and tags.
	{Name: "CreateAlias", API: APIKMS, Model: kmsapi.OpCreateAlias, call: method((*Service).CreateAlias), Mutates: true,
		Actions: onAliasAndKey("CreateAlias"), Request: []string{"AliasName", "TargetKeyId"}},
	{Name: "UpdateAlias", API: APIKMS, Model: kmsapi.OpUpdateAlias, call: method((*Service).UpdateAlias), Mutates: true,
		Actions: onAliasAndKey("UpdateAlias"), Request: []string{"AliasName", "TargetKeyId"}},
	{Name: "DeleteAlias", API: APIKMS, Model: kmsapi.OpDeleteAlias, call: method((*Service).DeleteAlias), Mutates: true,
		Actions: onAliasAndKey("DeleteAlias"), Request: []string{"AliasName"}},
	{Name: "ListAliases", API: APIKMS, Model: kmsapi.OpListAliases, call: method((*Service).ListAliases),
		Actions: onAccount("kms:ListAliases"), Request: []string{"KeyId", "Limit", "Marker"}},
	{Name: "TagResource", API: APIKMS, Model: kmsapi.OpTagResource, call: method((*Service).TagResource), Mutates: true,
		Actions: onKey("TagResource", false, ""), Request: []string{"KeyId", "Tags"}},
	{Name: "UntagResource", API: APIKMS, Model: kmsapi.OpUntagResource, call: method((*Service).UntagResource), Mutates: true,
		Actions: onKey("UntagResource", false, ""), Request: []string{"KeyId", "TagKeys"}},
	{Name: "ListResourceTags", API: APIKMS, Model: kmsapi.OpListResourceTags, call: method((*Service).ListResourceTags),
		Actions: onKey("ListResourceTags", false, ""), Request: []string{"KeyId", "Limit", "Marker"}},

	// Rotation and deletion.
	{Name: "EnableKeyRotation", API: APIKMS, Model: kmsapi.OpEnableKeyRotation, call: method((*Service).EnableKeyRotation), Mutates: true,
		Actions: onKey("EnableKeyRotation", false, ""), Request: []string{"KeyId", "RotationPeriodInDays"}},
	{Name: "DisableKeyRotation", API: APIKMS, Model: kmsapi.OpDisableKeyRotation, call: method((*Service).DisableKeyRotation), Mutates: true,
		Actions: onKey("DisableKeyRotation", false, ""), Request: []string{"KeyId"}},
	{Name: "GetKeyRotationStatus", API: APIKMS, Model: kmsapi.OpGetKeyRotationStatus, call: method((*Service).GetKeyRotationStatus),
		Actions: onKey("GetKeyRotationStatus", cross, ""), Request: []string{"KeyId"}},
	{Name: "RotateKeyOnDemand", API: APIKMS, Model: kmsapi.OpRotateKeyOnDemand, call: method((*Service).RotateKeyOnDemand), Mutates: true,
		Actions: onKey("RotateKeyOnDemand", false, ""), Request: []string{"KeyId"}},
	{Name: "ListKeyRotations", API: APIKMS, Model: kmsapi.OpListKeyRotations, call: method((*Service).ListKeyRotations),
		Actions: onKey("ListKeyRotations", false, ""), Request: []string{"IncludeKeyMaterial", "KeyId", "Limit", "Marker"}},
	{Name: "ScheduleKeyDeletion", API: APIKMS, Model: kmsapi.OpScheduleKeyDeletion, call: method((*Service).ScheduleKeyDeletion), Mutates: true,
		Actions: onKey("ScheduleKeyDeletion", false, ""), Request: []string{"KeyId", "PendingWindowInDays"}},
	{Name: "CancelKeyDeletion", API: APIKMS, Model: kmsapi.OpCancelKeyDeletion, call: method((*Service).CancelKeyDeletion), Mutates: true,
		Actions: onKey("CancelKeyDeletion", false, ""), Request: []string{"KeyId"}},

	// Imported key material.
	{Name: "GetParametersForImport", API: APIKMS, Model: kmsapi.OpGetParametersForImport, call: method((*Service).GetParametersForImport),
		Actions: onKey("GetParametersForImport", false, ""), Request: []string{"KeyId", "WrappingAlgorithm", "WrappingKeySpec"}},
	{Name: "ImportKeyMaterial", API: APIKMS, Model: kmsapi.OpImportKeyMaterial, call: method((*Service).ImportKeyMaterial), Mutates: true,
		Actions: onKey("ImportKeyMaterial", false, ""),
		Request: []string{"ExpirationModel", "ImportType", "KeyId", "KeyMaterialDescription", "KeyMaterialId", "ValidTo"}},
	{Name: "DeleteImportedKeyMaterial", API: APIKMS, Model: kmsapi.OpDeleteImportedKeyMaterial, call: method((*Service).DeleteImportedKeyMaterial), Mutates: true,
		Actions: onKey("DeleteImportedKeyMaterial", false, ""), Request: []string{"KeyId", "KeyMaterialId"}},

	// Symmetric cryptography. CloudTrail records the encryption
	// algorithm of Encrypt and Decrypt in effect, SYMMETRIC_DEFAULT when
	// the request names none.
	{Name: "Encrypt", API: APIKMS, Model: kmsapi.OpEncrypt, call: method((*Service).Encrypt),
		Actions: onKey("Encrypt", cross, "Encrypt"),
		Request: []string{"DryRun", "EncryptionAlgorithm=SYMMETRIC_DEFAULT", "EncryptionContext", "KeyId"}},
	{Name: "Decrypt", API: APIKMS, Model: kmsapi.OpDecrypt, call: method((*Service).Decrypt),
		Actions: onKey("Decrypt", cross, "Decrypt"),
		Request: []string{"DryRun", "DryRunModifiers", "EncryptionAlgorithm=SYMMETRIC_DEFAULT", "EncryptionContext", "KeyId"}},
	{Name: "ReEncrypt", API: APIKMS, Model: kmsapi.OpReEncrypt, call: method((*Service).ReEncrypt),
		Actions: []Action{
			{Name: "kms:ReEncryptFrom", Resource: ResourceKey, CrossAccount: true, Grant: "ReEncryptFrom"},
			{Name: "kms:ReEncryptTo", Resource: ResourceKey, CrossAccount: true, Grant: "ReEncryptTo"},
		},
		Request: []string{"DestinationEncryptionAlgorithm", "DestinationEncryptionContext", "DestinationKeyId", "DryRun", "DryRunModifiers",
			"SourceEncryptionAlgorithm", "SourceEncryptionContext", "SourceKeyId"}},
	{Name: "GenerateDataKey", API: APIKMS, Model: kmsapi.OpGenerateDataKey, call: method((*Service).GenerateDataKey),
		Actions: onKey("GenerateDataKey", cross, "GenerateDataKey"),
		Request: []string{"DryRun", "EncryptionContext", "KeyId", "KeySpec", "NumberOfBytes"}},
	{Name: "GenerateDataKeyWithoutPlaintext", API: APIKMS, Model: kmsapi.OpGenerateDataKeyWithoutPlaintext, call: method((*Service).GenerateDataKeyWithoutPlaintext),
		Actions: onKey("GenerateDataKeyWithoutPlaintext", cross, "GenerateDataKeyWithoutPlaintext"),
		Request: []string{"DryRun", "EncryptionContext", "KeyId", "KeySpec", "NumberOfBytes"}},
	{Name: "GenerateRandom", API: APIKMS, Model: kmsapi.OpGenerateRandom, call: method((*Service).GenerateRandom),
		Actions: onAccount("kms:GenerateRandom"), Request: []string{"CustomKeyStoreId", "NumberOfBytes"}},

	// Asymmetric, HMAC, key agreement and ML-KEM keys.
	{Name: "Sign", API: APIKMS, Model: kmsapi.OpSign, call: method((*Service).Sign),
		Actions: onKey("Sign", cross, "Sign"), Request: []string{"DryRun", "KeyId", "MessageType", "SigningAlgorithm"}},
	{Name: "Verify", API: APIKMS, Model: kmsapi.OpVerify, call: method((*Service).Verify),
		Actions: onKey("Verify", cross, "Verify"), Request: []string{"DryRun", "KeyId", "MessageType", "SigningAlgorithm"}},
	{Name: "GenerateMac", API: APIKMS, Model: kmsapi.OpGenerateMac, call: method((*Service).GenerateMac),
		Actions: onKey("GenerateMac", cross, "GenerateMac"), Request: []string{"DryRun", "KeyId", "MacAlgorithm"}},
	{Name: "VerifyMac", API: APIKMS, Model: kmsapi.OpVerifyMac, call: method((*Service).VerifyMac),
		Actions: onKey("VerifyMac", cross, "VerifyMac"), Request: []string{"DryRun", "KeyId", "MacAlgorithm"}},
	{Name: "GetPublicKey", API: APIKMS, Model: kmsapi.OpGetPublicKey, call: method((*Service).GetPublicKey),
		Actions: onKey("GetPublicKey", cross, "GetPublicKey"), Request: []string{"KeyId"}},
	{Name: "DeriveSharedSecret", API: APIKMS, Model: kmsapi.OpDeriveSharedSecret, call: method((*Service).DeriveSharedSecret),
		Actions: onKey("DeriveSharedSecret", cross, "DeriveSharedSecret"), Request: []string{"DryRun", "KeyAgreementAlgorithm", "KeyId"}},
	{Name: "Encapsulate", API: APIKMS, Model: kmsapi.OpEncapsulate, call: method((*Service).Encapsulate),
		Actions: onKey("Encapsulate", cross, "Encapsulate"), Request: []string{"DryRun", "EncapsulationAlgorithm", "KeyId"}},
	{Name: "Decapsulate", API: APIKMS, Model: kmsapi.OpDecapsulate, call: method((*Service).Decapsulate),
		Actions: onKey("Decapsulate", cross, "Decapsulate"), Request: []string{"DryRun", "EncapsulationAlgorithm", "KeyId"}},
	{Name: "GenerateDataKeyPair", API: APIKMS, Model: kmsapi.OpGenerateDataKeyPair, call: method((*Service).GenerateDataKeyPair),
		Actions: onKey("GenerateDataKeyPair", cross, "GenerateDataKeyPair"), Request: []string{"DryRun", "EncryptionContext", "KeyId", "KeyPairSpec"}},
	{Name: "GenerateDataKeyPairWithoutPlaintext", API: APIKMS, Model: kmsapi.OpGenerateDataKeyPairWithoutPlaintext, call: method((*Service).GenerateDataKeyPairWithoutPlaintext),
		Actions: onKey("GenerateDataKeyPairWithoutPlaintext", cross, "GenerateDataKeyPairWithoutPlaintext"),
		Request: []string{"DryRun", "EncryptionContext", "KeyId", "KeyPairSpec"}},

	// Grants.
	{Name: "CreateGrant", API: APIKMS, Model: kmsapi.OpCreateGrant, call: method((*Service).CreateGrant), Mutates: true,
		Actions: onKey("CreateGrant", cross, "CreateGrant"),
		Request: []string{"Constraints", "DryRun", "GranteePrincipal", "KeyId", "Name", "Operations", "RetiringPrincipal"}},
	{Name: "ListGrants", API: APIKMS, Model: kmsapi.OpListGrants, call: method((*Service).ListGrants),
		Actions: onKey("ListGrants", cross, ""), Request: []string{"GrantId", "GranteePrincipal", "KeyId", "Limit", "Marker"}},
	{Name: "ListRetirableGrants", API: APIKMS, Model: kmsapi.OpListRetirableGrants, call: method((*Service).ListRetirableGrants),
		Actions: onAccount("kms:ListRetirableGrants"), Request: []string{"Limit", "Marker", "RetiringPrincipal"}},
	{Name: "RetireGrant", API: APIKMS, Model: kmsapi.OpRetireGrant, call: method((*Service).RetireGrant), Mutates: true,
		Actions: onKey("RetireGrant", cross, "RetireGrant"), Request: []string{"DryRun", "GrantId", "KeyId"}},
	{Name: "RevokeGrant", API: APIKMS, Model: kmsapi.OpRevokeGrant, call: method((*Service).RevokeGrant), Mutates: true,
		Actions: onKey("RevokeGrant", cross, ""), Request: []string{"DryRun", "GrantId", "KeyId"}},

	// Key policies.
	{Name: "GetKeyPolicy", API: APIKMS, Model: kmsapi.OpGetKeyPolicy, call: method((*Service).GetKeyPolicy),
		Actions: onKey("GetKeyPolicy", false, ""), Request: []string{"KeyId", "PolicyName"}},
	{Name: "PutKeyPolicy", API: APIKMS, Model: kmsapi.OpPutKeyPolicy, call: method((*Service).PutKeyPolicy), Mutates: true,
		Actions: onKey("PutKeyPolicy", false, ""), Request: []string{"BypassPolicyLockoutSafetyCheck", "KeyId", "Policy", "PolicyName"}},
	{Name: "ListKeyPolicies", API: APIKMS, Model: kmsapi.OpListKeyPolicies, call: method((*Service).ListKeyPolicies),
		Actions: onKey("ListKeyPolicies", false, ""), Request: []string{"KeyId", "Limit", "Marker"}},

	// IAM (internal/api/iamapi.go answers them). Users and their access
	// keys, inline policies and tags are authorized on the user's ARN,
	// roles' on the role's.
	iamOp("CreateUser", ResourceUser, true, "UserName", "Path"),
	iamOp("GetUser", ResourceUser, false, "UserName"),
	iamOp("ListUsers", ResourceUser, false, "PathPrefix", "Marker", "MaxItems"),
	iamOp("DeleteUser", ResourceUser, true, "UserName"),
	iamOp("CreateAccessKey", ResourceUser, true, "UserName"),
	iamOp("ListAccessKeys", ResourceUser, false, "UserName", "Marker", "MaxItems"),
	iamOp("UpdateAccessKey", ResourceUser, true, "UserName", "AccessKeyId", "Status"),
	iamOp("DeleteAccessKey", ResourceUser, true, "UserName", "AccessKeyId"),
	iamOp("PutUserPolicy", ResourceUser, true, "UserName", "PolicyName", "PolicyDocument"),
	iamOp("GetUserPolicy", ResourceUser, false, "UserName", "PolicyName"),
	iamOp("ListUserPolicies", ResourceUser, false, "UserName", "Marker", "MaxItems"),
	iamOp("DeleteUserPolicy", ResourceUser, true, "UserName", "PolicyName"),
	iamOp("TagUser", ResourceUser, true, "UserName"),
	iamOp("CreateRole", ResourceRole, true, "RoleName", "Path", "AssumeRolePolicyDocument", "Description", "MaxSessionDuration"),
	iamOp("GetRole", ResourceRole, false, "RoleName"),
	iamOp("ListRoles", ResourceRole, false, "PathPrefix", "Marker", "MaxItems"),
	iamOp("DeleteRole", ResourceRole, true, "RoleName"),
	iamOp("PutRolePolicy", ResourceRole, true, "RoleName", "PolicyName", "PolicyDocument"),
	iamOp("GetRolePolicy", ResourceRole, false, "RoleName", "PolicyName"),
	iamOp("ListRolePolicies", ResourceRole, false, "RoleName", "Marker", "MaxItems"),
	iamOp("DeleteRolePolicy", ResourceRole, true, "RoleName", "PolicyName"),
	iamOp("TagRole", ResourceRole, true, "RoleName"),

	// STS (internal/api/stsapi.go). AssumeRole is decided by the role's
	// trust policy (and, within its account, the caller's identity
	// policies); GetCallerIdentity needs no permission.
	{Name: "GetCallerIdentity", API: APISTS, Actions: []Action{{Name: "sts:GetCallerIdentity", Resource: ResourceNone}}},
	{Name: "AssumeRole", API: APISTS, Mutates: true, Actions: []Action{{Name: "sts:AssumeRole", Resource: ResourceRole}},
		Request: []string{"RoleArn", "RoleSessionName", "DurationSeconds"}},

	// CloudTrail (internal/api/cloudtrail.go): the audit log of the
	// caller's account.
	{Name: "LookupEvents", API: APICloudTrail, Actions: onAccount("cloudtrail:LookupEvents"),
		Request: []string{"EndTime", "LookupAttributes", "MaxResults", "StartTime"}},
}

// iamOp is an IAM entry: action iam:<name> on resource.
func iamOp(name string, resource Resource, mutates bool, request ...string) *Operation {
	return &Operation{Name: name, API: APIIAM, Mutates: mutates, Request: request,
		Actions: []Action{{Name: "iam:" + name, Resource: resource}}}
}

type opKey struct {
	api  API
	name string
}

var (
	// byName indexes the table.
	byName map[opKey]*Operation
	// actions indexes the KMS actions by their name without "kms:", as
	// the service's methods name them ("Encrypt", "ReEncryptFrom"); the
	// names are the table's strings, so authorization allocates nothing.
	actions map[string]*Action
)

// The indexes are built by init, not by initializers: the table refers
// to the service's methods, which read the indexes.
func init() {
	byName = make(map[opKey]*Operation, len(operations))
	actions = make(map[string]*Action)
	for _, op := range operations {
		k := opKey{op.API, op.Name}
		if byName[k] != nil {
			panic("service: operation " + op.Name + " is in the table twice")
		}
		byName[k] = op
		if op.API != APIKMS {
			continue
		}
		if op.Model == nil || op.Model.Name != op.Name || op.call == nil {
			panic("service: KMS operation " + op.Name + " needs its model operation and method")
		}
		for i := range op.Actions {
			a := &op.Actions[i]
			short, ok := strings.CutPrefix(a.Name, "kms:")
			if !ok || actions[short] != nil {
				panic("service: action " + a.Name + " of " + op.Name + " is not a KMS action, or is in the table twice")
			}
			actions[short] = a
		}
		var err error
		if op.request, err = audit.NewMembers(reflect.TypeOf(op.Model.NewInput()).Elem(), op.Request); err != nil {
			panic(fmt.Sprintf("service: %s: %v", op.Name, err))
		}
		if op.response, err = audit.NewMembers(reflect.TypeOf(op.Model.NewOutput()).Elem(), op.Response); err != nil {
			panic(fmt.Sprintf("service: %s: %v", op.Name, err))
		}
	}
}

// action returns the table's action op (a KMS action named without
// "kms:") when the table authorizes it on resource, else an internal
// error: authorization fails closed for an action the table does not
// describe so.
func (s *Service) action(ctx context.Context, op string, resource Resource) (*Action, error) {
	a := actions[op]
	if a == nil || a.Resource&resource == 0 {
		return nil, s.internal(ctx, op, fmt.Errorf("the operation table does not authorize kms:%s on a resource of kind %d", op, resource))
	}
	return a, nil
}
