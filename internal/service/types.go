package service

import (
	"strconv"
	"time"
)

// The operation inputs and outputs carry the AWS member names as JSON tags:
// they are the operations' shapes, decoded and encoded by internal/api.

// Epoch is a time that encodes as AWS JSON's epoch seconds (a JSON number
// with a fractional part).
type Epoch time.Time

// MarshalJSON implements json.Marshaler.
func (e Epoch) MarshalJSON() ([]byte, error) {
	t := time.Time(e)
	return strconv.AppendFloat(nil, float64(t.UnixMilli())/1000, 'f', -1, 64), nil
}

// UnmarshalJSON implements json.Unmarshaler.
func (e *Epoch) UnmarshalJSON(b []byte) error {
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil {
		return err
	}
	sec := int64(f)
	*e = Epoch(time.Unix(sec, int64((f-float64(sec))*1e9)).UTC())
	return nil
}

// Time returns the time.
func (e Epoch) Time() time.Time { return time.Time(e) }

func epochPtr(t time.Time) *Epoch {
	if t.IsZero() {
		return nil
	}
	e := Epoch(t)
	return &e
}

// Tag is a KMS tag.
type Tag struct {
	TagKey   *string `json:"TagKey"`
	TagValue *string `json:"TagValue"`
}

// KeyMetadata is DescribeKey's and CreateKey's description of a key.
type KeyMetadata struct {
	AWSAccountId             string                    `json:"AWSAccountId"`
	Arn                      string                    `json:"Arn"`
	CreationDate             Epoch                     `json:"CreationDate"`
	CurrentKeyMaterialId     string                    `json:"CurrentKeyMaterialId,omitempty"`
	CustomerMasterKeySpec    string                    `json:"CustomerMasterKeySpec"`
	DeletionDate             *Epoch                    `json:"DeletionDate,omitempty"`
	Description              string                    `json:"Description"`
	Enabled                  bool                      `json:"Enabled"`
	EncryptionAlgorithms     []string                  `json:"EncryptionAlgorithms,omitempty"`
	EncapsulationAlgorithms  []string                  `json:"EncapsulationAlgorithms,omitempty"`
	ExpirationModel          string                    `json:"ExpirationModel,omitempty"`
	KeyAgreementAlgorithms   []string                  `json:"KeyAgreementAlgorithms,omitempty"`
	KeyId                    string                    `json:"KeyId"`
	KeyManager               string                    `json:"KeyManager"`
	KeySpec                  string                    `json:"KeySpec"`
	KeyState                 string                    `json:"KeyState"`
	KeyUsage                 string                    `json:"KeyUsage"`
	MacAlgorithms            []string                  `json:"MacAlgorithms,omitempty"`
	MultiRegion              bool                      `json:"MultiRegion"`
	MultiRegionConfiguration *MultiRegionConfiguration `json:"MultiRegionConfiguration,omitempty"`
	Origin                   string                    `json:"Origin"`
	SigningAlgorithms        []string                  `json:"SigningAlgorithms,omitempty"`
	ValidTo                  *Epoch                    `json:"ValidTo,omitempty"`
}

// Input and output shapes of the key-management operations.
type (
	CreateKeyInput struct {
		BypassPolicyLockoutSafetyCheck bool    `json:"BypassPolicyLockoutSafetyCheck"`
		CustomKeyStoreId               *string `json:"CustomKeyStoreId"`
		CustomerMasterKeySpec          *string `json:"CustomerMasterKeySpec"`
		Description                    *string `json:"Description"`
		KeySpec                        *string `json:"KeySpec"`
		KeyUsage                       *string `json:"KeyUsage"`
		MultiRegion                    bool    `json:"MultiRegion"`
		Origin                         *string `json:"Origin"`
		Policy                         *string `json:"Policy"`
		Tags                           []Tag   `json:"Tags"`
		XksKeyId                       *string `json:"XksKeyId"`
	}
	KeyMetadataOutput struct {
		KeyMetadata *KeyMetadata `json:"KeyMetadata"`
	}
	KeyIdInput struct {
		KeyId *string `json:"KeyId"`
		// GrantTokens is accepted by DescribeKey.
		GrantTokens []string `json:"GrantTokens"`
	}
	ListInput struct {
		KeyId  *string `json:"KeyId"`
		Limit  *int    `json:"Limit"`
		Marker *string `json:"Marker"`
	}
	KeyListEntry struct {
		KeyArn string `json:"KeyArn"`
		KeyId  string `json:"KeyId"`
	}
	ListKeysOutput struct {
		Keys       []KeyListEntry `json:"Keys"`
		NextMarker string         `json:"NextMarker,omitempty"`
		Truncated  bool           `json:"Truncated"`
	}
	UpdateKeyDescriptionInput struct {
		KeyId       *string `json:"KeyId"`
		Description *string `json:"Description"`
	}
	AliasInput struct {
		AliasName   *string `json:"AliasName"`
		TargetKeyId *string `json:"TargetKeyId"`
	}
	AliasListEntry struct {
		AliasArn        string `json:"AliasArn"`
		AliasName       string `json:"AliasName"`
		CreationDate    *Epoch `json:"CreationDate,omitempty"`
		LastUpdatedDate *Epoch `json:"LastUpdatedDate,omitempty"`
		TargetKeyId     string `json:"TargetKeyId,omitempty"`
	}
	ListAliasesOutput struct {
		Aliases    []AliasListEntry `json:"Aliases"`
		NextMarker string           `json:"NextMarker,omitempty"`
		Truncated  bool             `json:"Truncated"`
	}
	TagResourceInput struct {
		KeyId *string `json:"KeyId"`
		Tags  []Tag   `json:"Tags"`
	}
	UntagResourceInput struct {
		KeyId   *string  `json:"KeyId"`
		TagKeys []string `json:"TagKeys"`
	}
	ListResourceTagsOutput struct {
		NextMarker string `json:"NextMarker,omitempty"`
		Tags       []Tag  `json:"Tags"`
		Truncated  bool   `json:"Truncated"`
	}
	Empty struct{}
)

// MultiRegionConfiguration describes a multi-Region key's set.
type MultiRegionConfiguration struct {
	MultiRegionKeyType string           `json:"MultiRegionKeyType"`
	PrimaryKey         *MultiRegionKey  `json:"PrimaryKey"`
	ReplicaKeys        []MultiRegionKey `json:"ReplicaKeys"`
}

// MultiRegionKey names one key of a multi-Region set.
type MultiRegionKey struct {
	Arn    string `json:"Arn"`
	Region string `json:"Region"`
}
