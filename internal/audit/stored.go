package audit

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/klauspost/compress/s2"
)

// The stored form of an event. The chain hashes an event's canonical JSON
// (Marshal), but the store keeps that JSON compressed: S2 with a preset
// dictionary of CloudTrail's member names and constant values brings an
// Encrypt event from about 920 bytes to about 260. The audit append is the
// one database write on the path of every request, and its cost grows
// with the pages it writes (WAL frames, their fsync, the checkpoint's
// copy), so this is throughput: see README, Performance.
//
// A stored form is either
//
//	storedS2DictV1 || S2 block (with dictV1) of the JSON
//
// or the JSON itself, which begins with '{' (rows written before
// compression, and anything that would not get smaller). NewRecord makes
// the stored form, in the goroutine that commits.

// storedS2DictV1 marks an S2 block compressed with dictV1.
const storedS2DictV1 byte = 0x01

// dictV1Text is the dictionary of storedS2DictV1. Stored events depend on
// it byte for byte: it must never change. A better dictionary gets a new
// marker byte, and Decompress keeps reading this one.
const dictV1Text = `{"eventVersion":"1.08","userIdentity":{"type":"IAMUser","principalId":"AIDA","arn":"arn:aws:iam::111122223333:user/","accountId":"111122223333","accessKeyId":"AKIA","userName":""},` +
	`"userIdentity":{"type":"AssumedRole","principalId":"AROA","arn":"arn:aws:sts::111122223333:assumed-role/","accountId":"111122223333","accessKeyId":"ASIA","sessionContext":{"sessionIssuer":{"type":"Role","principalId":"AROA","arn":"arn:aws:iam::111122223333:role/","accountId":"111122223333","userName":""}}},` +
	`"errorCode":"AccessDeniedException","errorMessage":"User: arn:aws:iam::111122223333:user/ is not authorized to perform: kms: on resource: arn:aws:kms:us-east-1:111122223333:key/ because no identity-based policy allows the kms: action","errorCode":"NotFoundException","errorCode":"DisabledException","errorCode":"InvalidCiphertextException","errorCode":"ValidationException",` +
	`"requestParameters":{"keyId":"alias/","keySpec":"AES_256","numberOfBytes":32,"encryptionContext":{},"grantTokens":[],"signingAlgorithm":"ECDSA_SHA_256","messageType":"RAW","macAlgorithm":"HMAC_SHA_256","keyPairSpec":"RSA_2048","sourceKeyId":"","destinationKeyId":"","sourceEncryptionAlgorithm":"SYMMETRIC_DEFAULT","destinationEncryptionAlgorithm":"SYMMETRIC_DEFAULT"},"responseElements":{"keyId":"arn:aws:kms:us-east-1:111122223333:key/"},"additionalEventData":{},` +
	`"eventName":"GenerateDataKey","eventName":"Decrypt","eventName":"ReEncrypt","eventName":"Sign","eventName":"Verify","eventName":"GenerateMac","eventName":"DescribeKey","eventName":"GenerateRandom","awsRegion":"eu-west-1","userAgent":"aws-cli/2 Python/3 Linux/6 botocore/1 aws-sdk-go-v2/1 os/linux lang/go#1 md/GOOS#linux md/GOARCH#amd64 api/kms#1 Boto3/1 aws-sdk-js/3 m/E",` +
	`"userIdentity":{"type":"Root","principalId":"111122223333","arn":"arn:aws:iam::111122223333:root","accountId":"111122223333","accessKeyId":"AKIA"},"eventTime":"2026-01-01T00:00:00Z","eventSource":"kms.amazonaws.com","eventName":"Encrypt","awsRegion":"us-east-1","sourceIPAddress":"127.0.0.1","requestParameters":{"keyId":"arn:aws:kms:us-east-1:111122223333:key/","encryptionContext":{},"encryptionAlgorithm":"SYMMETRIC_DEFAULT"},"responseElements":null,"requestID":"","eventID":"","readOnly":true,"resources":[{"accountId":"111122223333","type":"AWS::KMS::Key","ARN":"arn:aws:kms:us-east-1:111122223333:key/"}],"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"111122223333","eventCategory":"Management"}`

var dictV1 = mustDict(dictV1Text)

func mustDict(text string) *s2.Dict {
	d := s2.MakeDict([]byte(text), []byte(`{"eventVersion"`))
	if d == nil {
		panic("audit: invalid stored-event dictionary")
	}
	return d
}

// maxStoredJSON bounds what Decompress inflates a stored form to: no event
// is larger than MaxEventBytes, so a stored form that claims more is
// damaged (or forged), and is not allowed to allocate much.
const maxStoredJSON = 4 * MaxEventBytes

// ErrStoredForm is returned by Decompress for bytes that are neither JSON
// nor a valid compressed form.
var ErrStoredForm = errors.New("audit: damaged stored event")

// Compress appends the stored form of the event encoding enc to dst.
func Compress(dst, enc []byte) []byte {
	dst = slices.Grow(dst, 1+s2.MaxEncodedLen(len(enc)))
	start := len(dst)
	dst = append(dst, storedS2DictV1)
	// Encode writes into its dst from index 0 when len(dst) is enough.
	c := dictV1.Encode(dst[len(dst):cap(dst)], enc)
	if 1+len(c) >= len(enc) {
		return append(dst[:start], enc...)
	}
	return dst[:start+1+len(c)]
}

var compressScratch = sync.Pool{New: func() any { return new([]byte) }}

// compressed returns the stored form of enc in a slice of its own size.
func compressed(enc []byte) []byte {
	bp := compressScratch.Get().(*[]byte)
	c := Compress((*bp)[:0], enc)
	out := bytes.Clone(c)
	*bp = c
	compressScratch.Put(bp)
	return out
}

// Decompress returns the event encoding of a stored form. JSON (rows from
// before compression) is returned as it is, without copying.
func Decompress(stored []byte) ([]byte, error) {
	if len(stored) == 0 {
		return nil, fmt.Errorf("%w: empty", ErrStoredForm)
	}
	switch stored[0] {
	case '{':
		return stored, nil
	case storedS2DictV1:
		src := stored[1:]
		n, err := s2.DecodedLen(src)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrStoredForm, err)
		}
		if n > maxStoredJSON {
			return nil, fmt.Errorf("%w: claims %d bytes", ErrStoredForm, n)
		}
		out, err := dictV1.Decode(make([]byte, n), src)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrStoredForm, err)
		}
		return out, nil
	}
	return nil, fmt.Errorf("%w: unknown form %#x", ErrStoredForm, stored[0])
}
