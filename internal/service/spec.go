package service

// Key specs, usages and the algorithms AWS lists for each (reference
// kms-api.md section 6).

const (
	SpecSymmetricDefault = "SYMMETRIC_DEFAULT"

	UsageEncryptDecrypt = "ENCRYPT_DECRYPT"
	UsageSignVerify     = "SIGN_VERIFY"
	UsageMac            = "GENERATE_VERIFY_MAC"
	UsageKeyAgreement   = "KEY_AGREEMENT"
	UsageEncapsulate    = "ENCAPSULATE_DECAPSULATE"

	OriginAWSKMS   = "AWS_KMS"
	OriginExternal = "EXTERNAL"

	StateEnabled         = "Enabled"
	StateDisabled        = "Disabled"
	StatePendingDeletion = "PendingDeletion"
	StatePendingImport   = "PendingImport"
)

// specInfo is what a KeySpec allows.
type specInfo struct {
	usages []string // allowed KeyUsage values; the first is the default, if any
	// algorithms per usage, as DescribeKey lists them
	enc, sign, mac, agree, encap []string
}

var rsaSign = []string{"RSASSA_PKCS1_V1_5_SHA_256", "RSASSA_PKCS1_V1_5_SHA_384", "RSASSA_PKCS1_V1_5_SHA_512", "RSASSA_PSS_SHA_256", "RSASSA_PSS_SHA_384", "RSASSA_PSS_SHA_512"}
var rsaEnc = []string{"RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256"}

var specs = map[string]specInfo{
	"SYMMETRIC_DEFAULT":     {usages: []string{UsageEncryptDecrypt}, enc: []string{"SYMMETRIC_DEFAULT"}},
	"RSA_2048":              {usages: []string{UsageEncryptDecrypt, UsageSignVerify}, enc: rsaEnc, sign: rsaSign},
	"RSA_3072":              {usages: []string{UsageEncryptDecrypt, UsageSignVerify}, enc: rsaEnc, sign: rsaSign},
	"RSA_4096":              {usages: []string{UsageEncryptDecrypt, UsageSignVerify}, enc: rsaEnc, sign: rsaSign},
	"ECC_NIST_P256":         {usages: []string{UsageSignVerify, UsageKeyAgreement}, sign: []string{"ECDSA_SHA_256"}, agree: []string{"ECDH"}},
	"ECC_NIST_P384":         {usages: []string{UsageSignVerify, UsageKeyAgreement}, sign: []string{"ECDSA_SHA_384"}, agree: []string{"ECDH"}},
	"ECC_NIST_P521":         {usages: []string{UsageSignVerify, UsageKeyAgreement}, sign: []string{"ECDSA_SHA_512"}, agree: []string{"ECDH"}},
	"ECC_SECG_P256K1":       {usages: []string{UsageSignVerify}, sign: []string{"ECDSA_SHA_256"}},
	"ECC_NIST_EDWARDS25519": {usages: []string{UsageSignVerify}, sign: []string{"ED25519_SHA_512", "ED25519_PH_SHA_512"}},
	"HMAC_224":              {usages: []string{UsageMac}, mac: []string{"HMAC_SHA_224"}},
	"HMAC_256":              {usages: []string{UsageMac}, mac: []string{"HMAC_SHA_256"}},
	"HMAC_384":              {usages: []string{UsageMac}, mac: []string{"HMAC_SHA_384"}},
	"HMAC_512":              {usages: []string{UsageMac}, mac: []string{"HMAC_SHA_512"}},
	"ML_DSA_44":             {usages: []string{UsageSignVerify}, sign: []string{"ML_DSA_SHAKE_256"}},
	"ML_DSA_65":             {usages: []string{UsageSignVerify}, sign: []string{"ML_DSA_SHAKE_256"}},
	"ML_DSA_87":             {usages: []string{UsageSignVerify}, sign: []string{"ML_DSA_SHAKE_256"}},
	"ML_KEM_512":            {usages: []string{UsageEncapsulate}, encap: []string{"ML_KEM"}},
	"ML_KEM_768":            {usages: []string{UsageEncapsulate}, encap: []string{"ML_KEM"}},
	"ML_KEM_1024":           {usages: []string{UsageEncapsulate}, encap: []string{"ML_KEM"}},
	// SM2 exists only in AWS's China Regions; elsewhere AWS refuses it.
	"SM2": {usages: []string{UsageEncryptDecrypt, UsageSignVerify, UsageKeyAgreement}},
}
