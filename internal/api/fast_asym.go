package api

import (
	"github.com/trentkms/trent/internal/awsjson"
	"github.com/trentkms/trent/internal/service"
)

// Decoders for the signing and MAC operations, which are hot too.

func decodeSign(d *awsjson.Decoder, in *service.SignInput) {
	for d.Next() {
		switch d.Key() {
		case "KeyId":
			in.KeyId = d.StringPtr()
		case "Message":
			in.Message = d.Blob()
		case "MessageType":
			in.MessageType = d.StringPtr()
		case "SigningAlgorithm":
			in.SigningAlgorithm = d.StringPtr()
		case "GrantTokens":
			in.GrantTokens = d.StringList()
		case "DryRun":
			in.DryRun = d.Bool()
		}
	}
}

func decodeVerify(d *awsjson.Decoder, in *service.VerifyInput) {
	for d.Next() {
		switch d.Key() {
		case "KeyId":
			in.KeyId = d.StringPtr()
		case "Message":
			in.Message = d.Blob()
		case "MessageType":
			in.MessageType = d.StringPtr()
		case "Signature":
			in.Signature = d.Blob()
		case "SigningAlgorithm":
			in.SigningAlgorithm = d.StringPtr()
		case "GrantTokens":
			in.GrantTokens = d.StringList()
		case "DryRun":
			in.DryRun = d.Bool()
		}
	}
}

func decodeMac(d *awsjson.Decoder, in *service.MacInput) {
	for d.Next() {
		switch d.Key() {
		case "KeyId":
			in.KeyId = d.StringPtr()
		case "Message":
			in.Message = d.Blob()
		case "MacAlgorithm":
			in.MacAlgorithm = d.StringPtr()
		case "Mac":
			in.Mac = d.Blob()
		case "GrantTokens":
			in.GrantTokens = d.StringList()
		case "DryRun":
			in.DryRun = d.Bool()
		}
	}
}

// encodeAsym writes the outputs of the signing and MAC operations.
func encodeAsym(e *awsjson.Encoder, out any) bool {
	switch o := out.(type) {
	case *service.SignOutput:
		e.String("KeyId", o.KeyId)
		e.Blob("Signature", o.Signature)
		e.String("SigningAlgorithm", o.SigningAlgorithm)
	case *service.VerifyOutput:
		e.String("KeyId", o.KeyId)
		e.Bool("SignatureValid", o.SignatureValid)
		e.String("SigningAlgorithm", o.SigningAlgorithm)
	case *service.GenerateMacOutput:
		e.String("KeyId", o.KeyId)
		e.Blob("Mac", o.Mac)
		e.String("MacAlgorithm", o.MacAlgorithm)
	case *service.VerifyMacOutput:
		e.String("KeyId", o.KeyId)
		e.String("MacAlgorithm", o.MacAlgorithm)
		e.Bool("MacValid", o.MacValid)
	default:
		return false
	}
	return true
}
