package policy

const (
	ruleString  = "IAM JSON policy elements: condition operators: String: StringEquals is exact and case-sensitive, StringEqualsIgnoreCase ignores case, StringLike supports * and ?; the Not forms negate"
	ruleNumeric = "IAM JSON policy elements: condition operators: Numeric: NumericEquals/NotEquals/LessThan/LessThanEquals/GreaterThan/GreaterThanEquals compare numbers"
	ruleDate    = "IAM JSON policy elements: condition operators: Date: compare dates given in ISO 8601 or epoch seconds"
	ruleBool    = "IAM JSON policy elements: condition operators: Bool: true/false matching, e.g. aws:SecureTransport"
	ruleBinary  = "IAM JSON policy elements: condition operators: BinaryEquals: compares base-64 encoded binary values"
	ruleIP      = "IAM JSON policy elements: condition operators: IpAddress/NotIpAddress: the address or CIDR range (RFC 4632), e.g. aws:SourceIp"
	ruleARN     = "IAM JSON policy elements: condition operators: ARN: each of the six colon-delimited components is matched separately and may use * and ?"
	ruleOpCase  = "IAM JSON policy elements: Condition: condition key names are not case-sensitive; values depend on the operator"
)

func conditionCases() []evalCase {
	user := `"aws:username":`
	return []evalCase{
		// String family.
		{name: "StringEquals match", rule: ruleString, doc: allowCond(`"StringEquals":{` + user + `"alice"}`), want: Allow},
		{name: "StringEquals case-sensitive", rule: ruleString, doc: allowCond(`"StringEquals":{` + user + `"Alice"}`), want: NotApplicable},
		{name: "StringEquals no wildcard", rule: ruleString, doc: allowCond(`"StringEquals":{` + user + `"al*"}`), want: NotApplicable},
		{name: "StringEquals value list ORed", rule: ruleCondAnd, doc: allowCond(`"StringEquals":{` + user + `["bob","alice"]}`), want: Allow},
		{name: "StringNotEquals match", rule: ruleString, doc: allowCond(`"StringNotEquals":{` + user + `"bob"}`), want: Allow},
		{name: "StringNotEquals equal", rule: ruleString, doc: allowCond(`"StringNotEquals":{` + user + `["bob","alice"]}`), want: NotApplicable},
		{name: "StringEqualsIgnoreCase", rule: ruleString, doc: allowCond(`"StringEqualsIgnoreCase":{` + user + `"ALICE"}`), want: Allow},
		{name: "StringNotEqualsIgnoreCase", rule: ruleString, doc: allowCond(`"StringNotEqualsIgnoreCase":{` + user + `"ALICE"}`), want: NotApplicable},
		{name: "StringLike star", rule: ruleString, doc: allowCond(`"StringLike":{` + user + `"al*"}`), want: Allow},
		{name: "StringLike question", rule: ruleString, doc: allowCond(`"StringLike":{` + user + `"al?ce"}`), want: Allow},
		{name: "StringLike case-sensitive", rule: ruleString, doc: allowCond(`"StringLike":{` + user + `"AL*"}`), want: NotApplicable},
		{name: "StringNotLike", rule: ruleString, doc: allowCond(`"StringNotLike":{` + user + `"b*"}`), want: Allow},
		{name: "StringNotLike matching", rule: ruleString, doc: allowCond(`"StringNotLike":{` + user + `"a*"}`), want: NotApplicable},
		{name: "operator name case-insensitive", rule: ruleOpCase, doc: allowCond(`"stringequals":{"AWS:UserName":"alice"}`), want: Allow},
		{name: "context key case-insensitive", rule: ruleOpCase, doc: allowCond(`"StringEquals":{"kms:ViaService":"ec2.us-east-1.amazonaws.com"}`), ctx: kctx("KMS:VIASERVICE", "ec2.us-east-1.amazonaws.com"), want: Allow},
		{name: "two keys ANDed, one fails", rule: ruleCondAnd, doc: allowCond(`"StringEquals":{` + user + `"alice","aws:PrincipalType":"Account"}`), want: NotApplicable},
		{name: "two operators ANDed", rule: ruleCondAnd, doc: allowCond(`"StringEquals":{` + user + `"alice"},"Bool":{"aws:SecureTransport":"true"}`), ctx: kctx("aws:SecureTransport", "true"), want: Allow},
		{name: "two operators ANDed, one fails", rule: ruleCondAnd, doc: allowCond(`"StringEquals":{` + user + `"alice"},"Bool":{"aws:SecureTransport":"true"}`), ctx: kctx("aws:SecureTransport", "false"), want: NotApplicable},
		// Missing keys.
		{name: "StringEquals missing key false", rule: ruleMissing, doc: allowCond(`"StringEquals":{"kms:ViaService":"s3.us-east-1.amazonaws.com"}`), want: NotApplicable},
		{name: "StringNotEquals missing key true", rule: ruleMissing, doc: allowCond(`"StringNotEquals":{"kms:ViaService":"s3.us-east-1.amazonaws.com"}`), want: Allow},
		{name: "StringNotLike missing key true", rule: ruleMissing, doc: allowCond(`"StringNotLike":{"kms:ViaService":"s3.*"}`), want: Allow},
		{name: "ArnNotLike missing key true", rule: ruleMissing, doc: allowCond(`"ArnNotLike":{"aws:SourceArn":"arn:aws:s3:::b/*"}`), want: Allow},
		{name: "NumericLessThan missing key false", rule: ruleMissing, doc: allowCond(`"NumericLessThan":{"kms:RecipientAttestation:ImageSha384":"5"}`), want: NotApplicable},
		{name: "username missing for role session", rule: "IAM global condition context keys: aws:username is present only for IAM users", p: sess, doc: allowCond(`"StringEquals":{` + user + `"alice"}`), want: NotApplicable},
		{name: "Deny StringNotEquals missing key denies", rule: ruleMissing, doc: doc(`{"Effect":"Allow","Action":"kms:*","Resource":"*"}`, `{"Effect":"Deny","Action":"kms:*","Resource":"*","Condition":{"StringNotEquals":{"kms:CallerAccount":"111122223333"}}}`), want: Deny},
		// IfExists.
		{name: "StringEqualsIfExists absent", rule: ruleIfExists, doc: allowCond(`"StringEqualsIfExists":{"kms:ViaService":"s3.us-east-1.amazonaws.com"}`), want: Allow},
		{name: "StringEqualsIfExists present match", rule: ruleIfExists, doc: allowCond(`"StringEqualsIfExists":{"kms:ViaService":"s3.us-east-1.amazonaws.com"}`), ctx: kctx("kms:ViaService", "s3.us-east-1.amazonaws.com"), want: Allow},
		{name: "StringEqualsIfExists present mismatch", rule: ruleIfExists, doc: allowCond(`"StringEqualsIfExists":{"kms:ViaService":"s3.us-east-1.amazonaws.com"}`), ctx: kctx("kms:ViaService", "ec2.us-east-1.amazonaws.com"), want: NotApplicable},
		{name: "NumericLessThanIfExists absent", rule: ruleIfExists, doc: allowCond(`"NumericLessThanIfExists":{"kms:ScheduleKeyDeletionPendingWindowInDays":"10"}`), want: Allow},
		{name: "BoolIfExists present false", rule: ruleIfExists, doc: allowCond(`"BoolIfExists":{"aws:SecureTransport":"true"}`), ctx: kctx("aws:SecureTransport", "false"), want: NotApplicable},
		{name: "IpAddressIfExists absent", rule: ruleIfExists, doc: allowCond(`"IpAddressIfExists":{"aws:SourceIp":"10.0.0.0/8"}`), want: Allow},
		{name: "StringNotEqualsIfExists absent", rule: ruleIfExists, doc: allowCond(`"StringNotEqualsIfExists":{"kms:ViaService":"s3.us-east-1.amazonaws.com"}`), want: Allow},
		{name: "ArnLikeIfExists present mismatch", rule: ruleIfExists, doc: allowCond(`"ArnLikeIfExists":{"aws:SourceArn":"arn:aws:s3:::good/*"}`), ctx: kctx("aws:SourceArn", "arn:aws:s3:::bad/x"), want: NotApplicable},
		// Null.
		{name: "Null true key absent", rule: ruleNull, doc: allowCond(`"Null":{"kms:ViaService":"true"}`), want: Allow},
		{name: "Null true key present", rule: ruleNull, doc: allowCond(`"Null":{"kms:ViaService":"true"}`), ctx: kctx("kms:ViaService", "s3.us-east-1.amazonaws.com"), want: NotApplicable},
		{name: "Null false key present", rule: ruleNull, doc: allowCond(`"Null":{"kms:ViaService":"false"}`), ctx: kctx("kms:ViaService", "s3.us-east-1.amazonaws.com"), want: Allow},
		{name: "Null false key absent", rule: ruleNull, doc: allowCond(`"Null":{"kms:ViaService":"false"}`), want: NotApplicable},
		{name: "Null JSON boolean", rule: ruleNull, doc: allowCond(`"Null":{"aws:TokenIssueTime":true}`), want: Allow},
		{name: "Null false on principal tag", rule: ruleNull, doc: allowCond(`"Null":{"aws:PrincipalTag/team":"false"}`), want: Allow},
		// Numeric.
		{name: "NumericEquals", rule: ruleNumeric, doc: allowCond(`"NumericEquals":{"kms:ScheduleKeyDeletionPendingWindowInDays":"30"}`), ctx: kctx("kms:ScheduleKeyDeletionPendingWindowInDays", "30"), want: Allow},
		{name: "NumericEquals float form", rule: ruleNumeric, doc: allowCond(`"NumericEquals":{"kms:ScheduleKeyDeletionPendingWindowInDays":30}`), ctx: kctx("kms:ScheduleKeyDeletionPendingWindowInDays", "30.0"), want: Allow},
		{name: "NumericNotEquals", rule: ruleNumeric, doc: allowCond(`"NumericNotEquals":{"kms:ScheduleKeyDeletionPendingWindowInDays":"30"}`), ctx: kctx("kms:ScheduleKeyDeletionPendingWindowInDays", "7"), want: Allow},
		{name: "NumericLessThan true", rule: ruleNumeric, doc: allowCond(`"NumericLessThan":{"kms:ScheduleKeyDeletionPendingWindowInDays":"10"}`), ctx: kctx("kms:ScheduleKeyDeletionPendingWindowInDays", "7"), want: Allow},
		{name: "NumericLessThan equal is false", rule: ruleNumeric, doc: allowCond(`"NumericLessThan":{"kms:ScheduleKeyDeletionPendingWindowInDays":"7"}`), ctx: kctx("kms:ScheduleKeyDeletionPendingWindowInDays", "7"), want: NotApplicable},
		{name: "NumericLessThanEquals equal", rule: ruleNumeric, doc: allowCond(`"NumericLessThanEquals":{"kms:ScheduleKeyDeletionPendingWindowInDays":"7"}`), ctx: kctx("kms:ScheduleKeyDeletionPendingWindowInDays", "7"), want: Allow},
		{name: "NumericGreaterThan", rule: ruleNumeric, doc: allowCond(`"NumericGreaterThan":{"kms:ScheduleKeyDeletionPendingWindowInDays":"20"}`), ctx: kctx("kms:ScheduleKeyDeletionPendingWindowInDays", "30"), want: Allow},
		{name: "NumericGreaterThanEquals below", rule: ruleNumeric, doc: allowCond(`"NumericGreaterThanEquals":{"kms:ScheduleKeyDeletionPendingWindowInDays":"20"}`), ctx: kctx("kms:ScheduleKeyDeletionPendingWindowInDays", "19"), want: NotApplicable},
		{name: "Numeric non-number request value", rule: ruleNumeric, doc: allowCond(`"NumericEquals":{"kms:ScheduleKeyDeletionPendingWindowInDays":"7"}`), ctx: kctx("kms:ScheduleKeyDeletionPendingWindowInDays", "seven"), want: NotApplicable},
		// Date.
		{name: "DateLessThan before", rule: ruleDate, doc: allowCond(`"DateLessThan":{"aws:CurrentTime":"2030-01-01T00:00:00Z"}`), ctx: kctx("aws:CurrentTime", "2025-06-01T12:00:00Z"), want: Allow},
		{name: "DateLessThan after", rule: ruleDate, doc: allowCond(`"DateLessThan":{"aws:CurrentTime":"2020-01-01T00:00:00Z"}`), ctx: kctx("aws:CurrentTime", "2025-06-01T12:00:00Z"), want: NotApplicable},
		{name: "DateGreaterThan date only", rule: ruleDate, doc: allowCond(`"DateGreaterThan":{"aws:CurrentTime":"2025-01-01"}`), ctx: kctx("aws:CurrentTime", "2025-06-01T12:00:00Z"), want: Allow},
		{name: "DateEquals epoch vs ISO", rule: ruleDate, doc: allowCond(`"DateEquals":{"aws:EpochTime":"1735689600"}`), ctx: kctx("aws:EpochTime", "2025-01-01T00:00:00Z"), want: Allow},
		{name: "DateNotEquals", rule: ruleDate, doc: allowCond(`"DateNotEquals":{"aws:CurrentTime":"2025-01-01T00:00:00Z"}`), ctx: kctx("aws:CurrentTime", "2025-01-01T00:00:01Z"), want: Allow},
		{name: "DateLessThanEquals offset zone", rule: ruleDate, doc: allowCond(`"DateLessThanEquals":{"aws:CurrentTime":"2025-01-01T02:00:00+02:00"}`), ctx: kctx("aws:CurrentTime", "2025-01-01T00:00:00Z"), want: Allow},
		{name: "DateGreaterThanEquals equal", rule: ruleDate, doc: allowCond(`"DateGreaterThanEquals":{"kms:ValidTo":"2025-01-01T00:00:00Z"}`), ctx: kctx("kms:ValidTo", "1735689600"), want: Allow},
		{name: "Date unparsable request value", rule: ruleDate, doc: allowCond(`"DateGreaterThan":{"aws:CurrentTime":"2025-01-01"}`), ctx: kctx("aws:CurrentTime", "yesterday"), want: NotApplicable},
		// Bool.
		{name: "Bool true", rule: ruleBool, doc: allowCond(`"Bool":{"aws:SecureTransport":"true"}`), ctx: kctx("aws:SecureTransport", "true"), want: Allow},
		{name: "Bool JSON boolean", rule: ruleBool, doc: allowCond(`"Bool":{"aws:SecureTransport":false}`), ctx: kctx("aws:SecureTransport", "false"), want: Allow},
		{name: "Bool mismatch", rule: ruleBool, doc: allowCond(`"Bool":{"aws:SecureTransport":"true"}`), ctx: kctx("aws:SecureTransport", "false"), want: NotApplicable},
		{name: "Bool deny insecure transport", rule: ruleBool, doc: doc(`{"Effect":"Allow","Action":"kms:*","Resource":"*"}`, `{"Effect":"Deny","Action":"kms:*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}`), ctx: kctx("aws:SecureTransport", "false"), want: Deny},
		{name: "Bool case-insensitive value", rule: ruleBool, doc: allowCond(`"Bool":{"kms:GrantIsForAWSResource":"TRUE"}`), ctx: kctx("kms:GrantIsForAWSResource", "true"), want: Allow},
		// Binary.
		{name: "BinaryEquals match", rule: ruleBinary, doc: allowCond(`"BinaryEquals":{"kms:RecipientAttestation:Nonce":"QmluYXJ5VmFsdWU="}`), ctx: kctx("kms:RecipientAttestation:Nonce", "QmluYXJ5VmFsdWU="), want: Allow},
		{name: "BinaryEquals mismatch", rule: ruleBinary, doc: allowCond(`"BinaryEquals":{"kms:RecipientAttestation:Nonce":"QmluYXJ5VmFsdWU="}`), ctx: kctx("kms:RecipientAttestation:Nonce", "T3RoZXI="), want: NotApplicable},
		// IP.
		{name: "IpAddress in CIDR", rule: ruleIP, doc: allowCond(`"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}`), ctx: kctx("aws:SourceIp", "203.0.113.7"), want: Allow},
		{name: "IpAddress outside CIDR", rule: ruleIP, doc: allowCond(`"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}`), ctx: kctx("aws:SourceIp", "198.51.100.7"), want: NotApplicable},
		{name: "IpAddress single address", rule: ruleIP, doc: allowCond(`"IpAddress":{"aws:SourceIp":"198.51.100.7"}`), ctx: kctx("aws:SourceIp", "198.51.100.7"), want: Allow},
		{name: "IpAddress IPv6", rule: ruleIP, doc: allowCond(`"IpAddress":{"aws:SourceIp":"2001:db8::/32"}`), ctx: kctx("aws:SourceIp", "2001:db8:1::5"), want: Allow},
		{name: "IpAddress list", rule: ruleIP, doc: allowCond(`"IpAddress":{"aws:SourceIp":["10.0.0.0/8","192.0.2.0/24"]}`), ctx: kctx("aws:SourceIp", "192.0.2.9"), want: Allow},
		{name: "NotIpAddress outside", rule: ruleIP, doc: allowCond(`"NotIpAddress":{"aws:SourceIp":"10.0.0.0/8"}`), ctx: kctx("aws:SourceIp", "192.0.2.9"), want: Allow},
		{name: "NotIpAddress inside", rule: ruleIP, doc: allowCond(`"NotIpAddress":{"aws:SourceIp":"10.0.0.0/8"}`), ctx: kctx("aws:SourceIp", "10.1.2.3"), want: NotApplicable},
		{name: "Deny NotIpAddress outside range", rule: ruleIP, doc: doc(`{"Effect":"Allow","Action":"kms:*","Resource":"*"}`, `{"Effect":"Deny","Action":"kms:*","Resource":"*","Condition":{"NotIpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}`), ctx: kctx("aws:SourceIp", "192.0.2.9"), want: Deny},
		// ARN.
		{name: "ArnEquals exact", rule: ruleARN, doc: allowCond(`"ArnEquals":{"aws:SourceArn":"arn:aws:s3:::bucket"}`), ctx: kctx("aws:SourceArn", "arn:aws:s3:::bucket"), want: Allow},
		{name: "ArnLike wildcard region", rule: ruleARN, doc: allowCond(`"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::111122223333:user/*"}`), want: Allow},
		{name: "ArnLike star does not cross components", rule: ruleARN, doc: allowCond(`"ArnLike":{"aws:SourceArn":"arn:aws:*"}`), ctx: kctx("aws:SourceArn", "arn:aws:s3:::bucket"), want: NotApplicable},
		{name: "ArnLike per-component wildcards", rule: ruleARN, doc: allowCond(`"ArnLike":{"aws:SourceArn":"arn:aws:*:*:*:*"}`), ctx: kctx("aws:SourceArn", "arn:aws:s3:::bucket"), want: Allow},
		{name: "ArnEquals with wildcard", rule: ruleARN, doc: allowCond(`"ArnEquals":{"aws:SourceArn":"arn:aws:sns:us-?ast-1:*:topic"}`), ctx: kctx("aws:SourceArn", "arn:aws:sns:us-east-1:111122223333:topic"), want: Allow},
		{name: "ArnNotEquals", rule: ruleARN, doc: allowCond(`"ArnNotEquals":{"aws:SourceArn":"arn:aws:s3:::other"}`), ctx: kctx("aws:SourceArn", "arn:aws:s3:::bucket"), want: Allow},
		{name: "ArnLike resource with colons", rule: ruleARN, doc: allowCond(`"ArnLike":{"aws:SourceArn":"arn:aws:logs:us-east-1:111122223333:log-group:*"}`), ctx: kctx("aws:SourceArn", "arn:aws:logs:us-east-1:111122223333:log-group:app:stream"), want: Allow},
		{name: "ArnLike request not an ARN", rule: ruleARN, doc: allowCond(`"ArnLike":{"aws:SourceArn":"arn:aws:s3:::*"}`), ctx: kctx("aws:SourceArn", "bucket"), want: NotApplicable},
		{name: "aws:PrincipalArn of session is role ARN", rule: "IAM global condition context keys: aws:PrincipalArn: for a role session it is the ARN of the role, not the session", p: sess, doc: allowCond(`"ArnEquals":{"aws:PrincipalArn":"arn:aws:iam::111122223333:role/ops/Admin"}`), want: Allow},
		// ForAnyValue / ForAllValues.
		{name: "ForAnyValue one matches", rule: ruleAny, doc: allowCond(`"ForAnyValue:StringEquals":{"aws:TagKeys":["env","team"]}`), ctx: kctx("aws:TagKeys", "cost|team"), want: Allow},
		{name: "ForAnyValue none matches", rule: ruleAny, doc: allowCond(`"ForAnyValue:StringEquals":{"aws:TagKeys":["env","team"]}`), ctx: kctx("aws:TagKeys", "cost|owner"), want: NotApplicable},
		{name: "ForAnyValue absent key", rule: ruleAny, doc: allowCond(`"ForAnyValue:StringEquals":{"aws:TagKeys":["env"]}`), want: NotApplicable},
		{name: "ForAnyValue empty set", rule: ruleAny, doc: allowCond(`"ForAnyValue:StringEquals":{"aws:TagKeys":["env"]}`), ctx: kctx("aws:TagKeys", ""), want: NotApplicable},
		{name: "ForAllValues all match", rule: ruleAll, doc: allowCond(`"ForAllValues:StringEquals":{"aws:TagKeys":["env","team"]}`), ctx: kctx("aws:TagKeys", "team|env"), want: Allow},
		{name: "ForAllValues one outside", rule: ruleAll, doc: allowCond(`"ForAllValues:StringEquals":{"aws:TagKeys":["env","team"]}`), ctx: kctx("aws:TagKeys", "team|cost"), want: NotApplicable},
		{name: "ForAllValues absent key is true", rule: ruleAll, doc: allowCond(`"ForAllValues:StringEquals":{"aws:TagKeys":["env"]}`), want: Allow},
		{name: "ForAllValues empty set is true", rule: ruleAll, doc: allowCond(`"ForAllValues:StringEquals":{"aws:TagKeys":["env"]}`), ctx: kctx("aws:TagKeys", ""), want: Allow},
		{name: "ForAllValues StringLike", rule: ruleAll, doc: allowCond(`"ForAllValues:StringLike":{"aws:TagKeys":"app-*"}`), ctx: kctx("aws:TagKeys", "app-a|app-b"), want: Allow},
		{name: "ForAnyValue StringNotEquals", rule: ruleAny, doc: allowCond(`"ForAnyValue:StringNotEquals":{"aws:TagKeys":["env"]}`), ctx: kctx("aws:TagKeys", "env|cost"), want: Allow},
		{name: "ForAllValues StringNotEquals", rule: ruleAll, doc: allowCond(`"ForAllValues:StringNotEquals":{"aws:TagKeys":["secret"]}`), ctx: kctx("aws:TagKeys", "env|secret"), want: NotApplicable},
		{name: "set prefix case-insensitive", rule: ruleOpCase, doc: allowCond(`"forallvalues:stringequals":{"aws:TagKeys":["env"]}`), ctx: kctx("aws:TagKeys", "env"), want: Allow},
		{name: "ForAnyValue on single value", rule: ruleAny, doc: allowCond(`"ForAnyValue:StringEquals":{"aws:username":["x","alice"]}`), want: Allow},
		{name: "plain operator on multivalued key matches any", rule: ruleAny, doc: allowCond(`"StringEquals":{"kms:ResourceAliases":"alias/app"}`), ctx: kctx("kms:ResourceAliases", "alias/x|alias/app"), want: Allow},
		{name: "ForAllValues IfExists absent", rule: ruleIfExists, doc: allowCond(`"ForAllValues:StringEqualsIfExists":{"aws:TagKeys":["env"]}`), want: Allow},
	}
}

func variableCases() []evalCase {
	return []evalCase{
		{name: "username variable in resource", rule: ruleVars, doc: doc(`{"Effect":"Allow","Action":"kms:CreateAlias","Resource":"arn:aws:kms:*:111122223333:alias/${aws:username}-*"}`), action: "kms:CreateAlias", resource: "arn:aws:kms:us-east-1:111122223333:alias/alice-app", want: Allow},
		{name: "username variable other user", rule: ruleVars, p: bob, doc: doc(`{"Effect":"Allow","Action":"kms:CreateAlias","Resource":"arn:aws:kms:*:111122223333:alias/${aws:username}-*"}`), action: "kms:CreateAlias", resource: "arn:aws:kms:us-east-1:111122223333:alias/alice-app", want: NotApplicable},
		{name: "variable missing fails to match", rule: ruleVars, p: sess, doc: doc(`{"Effect":"Allow","Action":"kms:CreateAlias","Resource":"arn:aws:kms:*:*:alias/${aws:username}"}`), action: "kms:CreateAlias", resource: "arn:aws:kms:us-east-1:111122223333:alias/", want: NotApplicable},
		{name: "variable default used", rule: ruleVars, p: sess, doc: doc(`{"Effect":"Allow","Action":"kms:CreateAlias","Resource":"arn:aws:kms:*:*:alias/${aws:username, 'shared'}/*"}`), action: "kms:CreateAlias", resource: "arn:aws:kms:us-east-1:111122223333:alias/shared/x", want: Allow},
		{name: "userid variable in condition", rule: ruleVars, doc: allowCond(`"StringEquals":{"kms:EncryptionContext:owner":"${aws:userid}"}`), ctx: kctx("kms:EncryptionContext:owner", "AIDAALICE"), want: Allow},
		{name: "principal tag variable", rule: ruleVars, doc: allowCond(`"StringEquals":{"aws:ResourceTag/team":"${aws:PrincipalTag/team}"}`), ctx: kctx("aws:ResourceTag/team", "blue"), want: Allow},
		{name: "principal tag variable mismatch", rule: ruleVars, p: sess, doc: allowCond(`"StringEquals":{"aws:ResourceTag/team":"${aws:PrincipalTag/team}"}`), ctx: kctx("aws:ResourceTag/team", "blue"), want: NotApplicable},
		{name: "variable name case-insensitive", rule: ruleVars, doc: allowCond(`"StringLike":{"kms:EncryptionContext:path":"home/${AWS:USERNAME}/*"}`), ctx: kctx("kms:EncryptionContext:path", "home/alice/doc"), want: Allow},
		{name: "SourceIp variable", rule: ruleVars, doc: allowCond(`"StringEquals":{"kms:EncryptionContext:ip":"${aws:SourceIp}"}`), ctx: kctx("aws:SourceIp", "192.0.2.1", "kms:EncryptionContext:ip", "192.0.2.1"), want: Allow},
		{name: "escape ${*} is a literal star", rule: ruleVarEsc, doc: allowCond(`"StringLike":{"kms:EncryptionContext:name":"a${*}b"}`), ctx: kctx("kms:EncryptionContext:name", "axxb"), want: NotApplicable},
		{name: "escape ${*} matches star", rule: ruleVarEsc, doc: allowCond(`"StringLike":{"kms:EncryptionContext:name":"a${*}b"}`), ctx: kctx("kms:EncryptionContext:name", "a*b"), want: Allow},
		{name: "escape ${?} and ${$}", rule: ruleVarEsc, doc: allowCond(`"StringEquals":{"kms:EncryptionContext:name":"${$}{x}${?}"}`), ctx: kctx("kms:EncryptionContext:name", "${x}?"), want: Allow},
		{name: "legacy version keeps variable text", rule: ruleVarLegacy, doc: `{"Version":"2008-10-17","Statement":[{"Effect":"Allow","Action":"kms:*","Resource":"*","Condition":{"StringEquals":{"kms:EncryptionContext:u":"${aws:username}"}}}]}`, ctx: kctx("kms:EncryptionContext:u", "${aws:username}"), want: Allow},
		{name: "no Version means legacy", rule: ruleVarLegacy, doc: `{"Statement":[{"Effect":"Allow","Action":"kms:*","Resource":"*","Condition":{"StringEquals":{"kms:EncryptionContext:u":"${aws:username}"}}}]}`, ctx: kctx("kms:EncryptionContext:u", "alice"), want: NotApplicable},
		{name: "variable in ArnLike", rule: ruleVars, doc: allowCond(`"ArnLike":{"aws:SourceArn":"arn:aws:s3:::home-${aws:username}/*"}`), ctx: kctx("aws:SourceArn", "arn:aws:s3:::home-alice/x"), want: Allow},
	}
}

func kmsKeyCases() []evalCase {
	return []evalCase{
		{name: "EncryptionContext pair present", rule: ruleEC, doc: allowCond(`"StringEquals":{"kms:EncryptionContext:Department":"IT"}`), ctx: kctx("kms:EncryptionContext:Department", "IT"), want: Allow},
		{name: "EncryptionContext value case-sensitive", rule: ruleEC, doc: allowCond(`"StringEquals":{"kms:EncryptionContext:Department":"IT"}`), ctx: kctx("kms:EncryptionContext:Department", "it"), want: NotApplicable},
		{name: "EncryptionContext key matches any case", rule: "KMS API reference: GrantConstraints: a fully case-sensitive encryption context needs kms:EncryptionContext: and kms:EncryptionContextKeys together, so the context-key part alone ignores case", doc: allowCond(`"StringEquals":{"kms:EncryptionContext:Department":"IT"}`), ctx: kctx("kms:encryptioncontext:department", "IT"), want: Allow},
		{name: "EncryptionContext pair absent", rule: ruleEC, doc: allowCond(`"StringEquals":{"kms:EncryptionContext:Department":"IT"}`), ctx: kctx("kms:EncryptionContext:Project", "IT"), want: NotApplicable},
		{name: "Deny wrong EncryptionContext", rule: ruleEC, doc: doc(`{"Effect":"Allow","Action":"kms:*","Resource":"*"}`, `{"Effect":"Deny","Action":"kms:Decrypt","Resource":"*","Condition":{"StringNotEquals":{"kms:EncryptionContext:stage":"prod"}}}`), action: "kms:Decrypt", ctx: kctx("kms:EncryptionContext:stage", "dev"), want: Deny},
		{name: "Deny spares right EncryptionContext", rule: ruleEC, doc: doc(`{"Effect":"Allow","Action":"kms:*","Resource":"*"}`, `{"Effect":"Deny","Action":"kms:Decrypt","Resource":"*","Condition":{"StringNotEquals":{"kms:EncryptionContext:stage":"prod"}}}`), action: "kms:Decrypt", ctx: kctx("kms:EncryptionContext:stage", "prod"), want: Allow},
		{name: "EncryptionContext StringLike", rule: ruleEC, doc: allowCond(`"StringLike":{"kms:EncryptionContext:aws:s3:arn":"arn:aws:s3:::bucket/*"}`), ctx: kctx("kms:EncryptionContext:aws:s3:arn", "arn:aws:s3:::bucket/k"), want: Allow},
		{name: "EncryptionContextKeys ForAllValues", rule: ruleECKeys, doc: allowCond(`"ForAllValues:StringEquals":{"kms:EncryptionContextKeys":["Department","Project"]}`), ctx: kctx("kms:EncryptionContextKeys", "Department"), want: Allow},
		{name: "EncryptionContextKeys ForAllValues extra key", rule: ruleECKeys, doc: allowCond(`"ForAllValues:StringEquals":{"kms:EncryptionContextKeys":["Department"]}`), ctx: kctx("kms:EncryptionContextKeys", "Department|Other"), want: NotApplicable},
		{name: "EncryptionContextKeys ForAnyValue requires one", rule: ruleECKeys, doc: allowCond(`"ForAnyValue:StringEquals":{"kms:EncryptionContextKeys":"Department"}`), ctx: kctx("kms:EncryptionContextKeys", ""), want: NotApplicable},
		{name: "EncryptionContextKeys case-sensitive", rule: ruleECKeys, doc: allowCond(`"ForAnyValue:StringEquals":{"kms:EncryptionContextKeys":"Department"}`), ctx: kctx("kms:EncryptionContextKeys", "department"), want: NotApplicable},
		{name: "Null EncryptionContextKeys false requires a context", rule: ruleNull, doc: allowCond(`"Null":{"kms:EncryptionContextKeys":"false"}`), ctx: kctx("kms:EncryptionContextKeys", ""), want: NotApplicable},
		{name: "CallerAccount match", rule: ruleCaller, keyPol: true, doc: doc(`{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"kms:Encrypt","Resource":"*","Condition":{"StringEquals":{"kms:CallerAccount":"111122223333"}}}`), ctx: kctx("kms:CallerAccount", acctA), want: Allow},
		{name: "CallerAccount other account", rule: ruleCaller, keyPol: true, p: carol, doc: doc(`{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"kms:Encrypt","Resource":"*","Condition":{"StringEquals":{"kms:CallerAccount":"111122223333"}}}`), ctx: kctx("kms:CallerAccount", acctB), want: NotApplicable},
		{name: "ViaService with CallerAccount", rule: "AWS KMS condition keys: kms:ViaService: limits use of the key to requests from the named AWS services", keyPol: true, doc: doc(`{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"kms:Decrypt","Resource":"*","Condition":{"StringEquals":{"kms:CallerAccount":"111122223333","kms:ViaService":"ec2.us-east-1.amazonaws.com"}}}`), action: "kms:Decrypt", ctx: kctx("kms:CallerAccount", acctA, "kms:ViaService", "ec2.us-east-1.amazonaws.com"), want: Allow},
		{name: "KeySpec condition", rule: "AWS KMS condition keys: kms:KeySpec: controls access by the KeySpec of the key or request", doc: allowCond(`"StringEquals":{"kms:KeySpec":"SYMMETRIC_DEFAULT"}`), ctx: kctx("kms:KeySpec", "RSA_2048"), want: NotApplicable},
		{name: "EncryptionAlgorithm condition", rule: "AWS KMS condition keys: kms:EncryptionAlgorithm: controls access by the algorithm in the request", doc: allowCond(`"StringEquals":{"kms:EncryptionAlgorithm":"SYMMETRIC_DEFAULT"}`), ctx: kctx("kms:EncryptionAlgorithm", "SYMMETRIC_DEFAULT"), want: Allow},
		{name: "GrantOperations ForAllValues", rule: "AWS KMS condition keys: kms:GrantOperations: use ForAllValues to allow grants only for the listed operations", action: "kms:CreateGrant", doc: allowCond(`"ForAllValues:StringEquals":{"kms:GrantOperations":["Encrypt","Decrypt"]}`), ctx: kctx("kms:GrantOperations", "Decrypt|RetireGrant"), want: NotApplicable},
		{name: "GrantIsForAWSResource", rule: "AWS KMS condition keys: kms:GrantIsForAWSResource: true when an integrated AWS service calls on the principal's behalf", action: "kms:CreateGrant", doc: allowCond(`"Bool":{"kms:GrantIsForAWSResource":"true"}`), ctx: kctx("kms:GrantIsForAWSResource", "true"), want: Allow},
		{name: "RequestAlias StringLike", rule: "AWS KMS condition keys: kms:RequestAlias: allows the request only when it names the key by a matching alias", doc: allowCond(`"StringLike":{"kms:RequestAlias":"alias/finance*"}`), ctx: kctx("kms:RequestAlias", "alias/finance-key"), want: Allow},
		{name: "ResourceAliases ForAnyValue", rule: "AWS KMS condition keys: kms:ResourceAliases: multivalued; use ForAnyValue to require one of the aliases", doc: allowCond(`"ForAnyValue:StringEquals":{"kms:ResourceAliases":"alias/finance"}`), ctx: kctx("kms:ResourceAliases", "alias/app|alias/finance"), want: Allow},
		{name: "ResourceTag condition", rule: "IAM global condition context keys: aws:ResourceTag/tag-key: compares the tag on the resource", doc: allowCond(`"StringEquals":{"aws:ResourceTag/Project":"Apollo"}`), ctx: kctx("aws:ResourceTag/Project", "Apollo"), want: Allow},
		{name: "PrincipalTag key case-insensitive", rule: "IAM global condition context keys: aws:PrincipalTag/tag-key: tag keys are compared case-insensitively", doc: allowCond(`"StringEquals":{"aws:PrincipalTag/project":"Apollo"}`), want: Allow},
		{name: "PrincipalType Root", rule: "IAM global condition context keys: aws:PrincipalType: Account for the root user, User for IAM users, AssumedRole for role sessions", p: rootA, doc: allowCond(`"StringEquals":{"aws:PrincipalType":"Account"}`), want: Allow},
		{name: "PrincipalAccount", rule: "IAM global condition context keys: aws:PrincipalAccount: the account of the requesting principal", p: carol, doc: allowCond(`"StringEquals":{"aws:PrincipalAccount":"444455556666"}`), want: Allow},
	}
}
