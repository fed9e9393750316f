package api

import (
	"context"
	"errors"
	"sync"

	"github.com/trentkms/trent/internal/awsjson"
	"github.com/trentkms/trent/internal/service"
)

// The cryptographic operations are the hot path: their bodies are decoded
// and their results encoded by internal/awsjson, without reflection, into
// pooled buffers. The other operations use encoding/json. Both accept and
// produce the same bytes (awsjson's differential fuzz tests check it).

var decoders = sync.Pool{New: func() any { return new(awsjson.Decoder) }}

// fastOp adapts a service method whose input decodes with decode.
func fastOp[I, O any](decode func(d *awsjson.Decoder, in *I), f func(context.Context, *service.Caller, *I) (*O, error)) route {
	return route{
		decode: func(body []byte) (any, error) {
			in := new(I)
			if len(body) > 0 {
				d := decoders.Get().(*awsjson.Decoder)
				d.Reset(body)
				decode(d, in)
				err := d.Err()
				d.Reset(nil)
				decoders.Put(d)
				if err != nil {
					return nil, fastDecodeError(err)
				}
			}
			return in, nil
		},
		call: func(ctx context.Context, c *service.Caller, in any) (any, error) {
			return f(ctx, c, in.(*I))
		},
	}
}

// fastDecodeError turns an awsjson error into a *serializationError with
// the message the encoding/json path gives for the same fault
// (decodeError).
func fastDecodeError(err error) error {
	var e *awsjson.Error
	if errors.As(err, &e) && e.Field != "" {
		if errors.Is(err, awsjson.ErrBase64) {
			return errBadBase64(e.Field)
		}
		return errWrongType(e.Field)
	}
	return errBadJSON
}

func decodeEncrypt(d *awsjson.Decoder, in *service.EncryptInput) {
	for d.Next() {
		switch d.Key() {
		case "KeyId":
			in.KeyId = d.StringPtr()
		case "Plaintext":
			in.Plaintext = d.Blob()
		case "EncryptionContext":
			in.EncryptionContext = d.StringMap()
		case "EncryptionAlgorithm":
			in.EncryptionAlgorithm = d.StringPtr()
		case "GrantTokens":
			in.GrantTokens = d.StringList()
		case "DryRun":
			in.DryRun = d.Bool()
		}
	}
}

func decodeRecipient(d *awsjson.Decoder) *service.RecipientInfo {
	if !d.Object() {
		return nil
	}
	r := &service.RecipientInfo{}
	for d.Next() {
		switch d.Key() {
		case "AttestationDocument":
			r.AttestationDocument = d.Blob()
		case "KeyEncryptionAlgorithm":
			r.KeyEncryptionAlgorithm = d.StringPtr()
		}
	}
	return r
}

func decodeDecrypt(d *awsjson.Decoder, in *service.DecryptInput) {
	for d.Next() {
		switch d.Key() {
		case "CiphertextBlob":
			in.CiphertextBlob = d.Blob()
		case "KeyId":
			in.KeyId = d.StringPtr()
		case "EncryptionContext":
			in.EncryptionContext = d.StringMap()
		case "EncryptionAlgorithm":
			in.EncryptionAlgorithm = d.StringPtr()
		case "GrantTokens":
			in.GrantTokens = d.StringList()
		case "DryRun":
			in.DryRun = d.Bool()
		case "DryRunModifiers":
			in.DryRunModifiers = d.StringList()
		case "Recipient":
			in.Recipient = decodeRecipient(d)
		}
	}
}

func decodeReEncrypt(d *awsjson.Decoder, in *service.ReEncryptInput) {
	for d.Next() {
		switch d.Key() {
		case "CiphertextBlob":
			in.CiphertextBlob = d.Blob()
		case "SourceKeyId":
			in.SourceKeyId = d.StringPtr()
		case "SourceEncryptionContext":
			in.SourceEncryptionContext = d.StringMap()
		case "SourceEncryptionAlgorithm":
			in.SourceEncryptionAlgorithm = d.StringPtr()
		case "DestinationKeyId":
			in.DestinationKeyId = d.StringPtr()
		case "DestinationEncryptionContext":
			in.DestinationEncryptionContext = d.StringMap()
		case "DestinationEncryptionAlgorithm":
			in.DestinationEncryptionAlgorithm = d.StringPtr()
		case "GrantTokens":
			in.GrantTokens = d.StringList()
		case "DryRun":
			in.DryRun = d.Bool()
		case "DryRunModifiers":
			in.DryRunModifiers = d.StringList()
		}
	}
}

func decodeGenerateDataKey(d *awsjson.Decoder, in *service.GenerateDataKeyInput) {
	for d.Next() {
		switch d.Key() {
		case "KeyId":
			in.KeyId = d.StringPtr()
		case "KeySpec":
			in.KeySpec = d.StringPtr()
		case "NumberOfBytes":
			in.NumberOfBytes = d.IntPtr()
		case "EncryptionContext":
			in.EncryptionContext = d.StringMap()
		case "GrantTokens":
			in.GrantTokens = d.StringList()
		case "DryRun":
			in.DryRun = d.Bool()
		case "Recipient":
			in.Recipient = decodeRecipient(d)
		}
	}
}

func decodeGenerateRandom(d *awsjson.Decoder, in *service.GenerateRandomInput) {
	for d.Next() {
		switch d.Key() {
		case "NumberOfBytes":
			in.NumberOfBytes = d.IntPtr()
		case "CustomKeyStoreId":
			in.CustomKeyStoreId = d.StringPtr()
		case "Recipient":
			in.Recipient = decodeRecipient(d)
		}
	}
}

// encodeFast writes the outputs of the hot operations; ok is false for
// other outputs, which encoding/json writes. Members are in the order
// encoding/json would write them (the struct field order).
func encodeFast(e *awsjson.Encoder, out any) (ok bool) {
	e.Begin()
	switch o := out.(type) {
	case *service.EncryptOutput:
		e.Blob("CiphertextBlob", o.CiphertextBlob)
		e.String("EncryptionAlgorithm", o.EncryptionAlgorithm)
		e.String("KeyId", o.KeyId)
	case *service.DecryptOutput:
		e.String("EncryptionAlgorithm", o.EncryptionAlgorithm)
		e.String("KeyId", o.KeyId)
		if o.KeyMaterialId != "" {
			e.String("KeyMaterialId", o.KeyMaterialId)
		}
		e.Blob("Plaintext", o.Plaintext)
	case *service.ReEncryptOutput:
		e.Blob("CiphertextBlob", o.CiphertextBlob)
		e.String("DestinationEncryptionAlgorithm", o.DestinationEncryptionAlgorithm)
		if o.DestinationKeyMaterialId != "" {
			e.String("DestinationKeyMaterialId", o.DestinationKeyMaterialId)
		}
		e.String("KeyId", o.KeyId)
		e.String("SourceEncryptionAlgorithm", o.SourceEncryptionAlgorithm)
		e.String("SourceKeyId", o.SourceKeyId)
		if o.SourceKeyMaterialId != "" {
			e.String("SourceKeyMaterialId", o.SourceKeyMaterialId)
		}
	case *service.GenerateDataKeyOutput:
		e.Blob("CiphertextBlob", o.CiphertextBlob)
		e.String("KeyId", o.KeyId)
		if o.KeyMaterialId != "" {
			e.String("KeyMaterialId", o.KeyMaterialId)
		}
		if len(o.Plaintext) > 0 {
			e.Blob("Plaintext", o.Plaintext)
		}
	case *service.GenerateRandomOutput:
		e.Blob("Plaintext", o.Plaintext)
	default:
		if !encodeAsym(e, out) {
			return false
		}
	}
	e.End()
	return true
}

// scrub zeroes the secrets of an output once it is written.
func scrub(out any) {
	switch o := out.(type) {
	case *service.DecryptOutput:
		clear(o.Plaintext)
	case *service.GenerateDataKeyOutput:
		clear(o.Plaintext)
	case *service.GenerateRandomOutput:
		clear(o.Plaintext)
	case *service.GenerateDataKeyPairOutput:
		clear(o.PrivateKeyPlaintext)
	case *service.DeriveSharedSecretOutput:
		clear(o.SharedSecret)
	case *service.EncapsulateOutput:
		clear(o.SharedSecret)
	case *service.DecapsulateOutput:
		clear(o.SharedSecret)
	}
}
