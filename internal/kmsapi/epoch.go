package kmsapi

import (
	"strconv"
	"time"
)

// Epoch is a timestamp as AWS JSON writes it: epoch seconds, a JSON
// number with up to three decimals.
type Epoch time.Time

// MarshalJSON implements json.Marshaler, writing the bytes EncodeJSON
// writes.
func (e Epoch) MarshalJSON() ([]byte, error) {
	return strconv.AppendFloat(nil, float64(time.Time(e).UnixMilli())/1000, 'f', -1, 64), nil
}

// UnmarshalJSON implements json.Unmarshaler, reading what DecodeJSON
// reads: whole seconds, then the fraction in nanoseconds, truncated, in
// UTC.
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
