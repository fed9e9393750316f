package pkcs11

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"runtime"
	"unsafe"
)

// AES-GCM as this package uses it: a 96-bit IV drawn from crypto/rand for
// every encryption, a 128-bit tag.
const (
	GCMIVSize  = 12
	GCMTagSize = 16
	// MaxGCMInput bounds the plaintext and additional data of EncryptGCM
	// and DecryptGCM: the seal and key store wrap keys, not bulk data.
	MaxGCMInput = 1 << 20
)

type ckMechanism struct {
	mechanism    uint
	parameter    unsafe.Pointer
	parameterLen uint
}

// ckGCMParams is CK_GCM_PARAMS as PKCS#11 2.40 errata 1 and 3.0 define it
// (with ulIvBits), the layout SoftHSM2, p11-kit and OpenSC use.
type ckGCMParams struct {
	iv      unsafe.Pointer
	ivLen   uint
	ivBits  uint
	aad     unsafe.Pointer
	aadLen  uint
	tagBits uint
}

// gcmMechanism returns a pinned CKM_AES_GCM mechanism for iv and aad.
func gcmMechanism(p *runtime.Pinner, iv, aad []byte) uintptr {
	params := &ckGCMParams{ivLen: uint(len(iv)), ivBits: 8 * uint(len(iv)), aadLen: uint(len(aad)), tagBits: 8 * GCMTagSize}
	p.Pin(&iv[0])
	params.iv = unsafe.Pointer(&iv[0])
	if len(aad) > 0 {
		p.Pin(&aad[0])
		params.aad = unsafe.Pointer(&aad[0])
	}
	p.Pin(params)
	m := &ckMechanism{mechanism: ckmAESGCM, parameter: unsafe.Pointer(params), parameterLen: uint(unsafe.Sizeof(*params))}
	p.Pin(m)
	return uintptr(unsafe.Pointer(m))
}

// dataPtr returns a pinned pointer to b's bytes, or to a spare byte when b
// is empty (some modules refuse a NULL buffer even of length 0).
func dataPtr(p *runtime.Pinner, b []byte) uintptr {
	if len(b) == 0 {
		b = make([]byte, 1)
	}
	p.Pin(&b[0])
	return uintptr(unsafe.Pointer(&b[0]))
}

// EncryptGCM encrypts plaintext with k under CKM_AES_GCM, a fresh random
// 96-bit IV and aad as additional data, and returns IV || ciphertext ||
// tag. Plaintext and aad are at most MaxGCMInput bytes.
func (t *Token) EncryptGCM(ctx context.Context, k Key, plaintext, aad []byte) ([]byte, error) {
	if len(plaintext) > MaxGCMInput || len(aad) > MaxGCMInput {
		return nil, fmt.Errorf("pkcs11: EncryptGCM input over %d bytes", MaxGCMInput)
	}
	out := make([]byte, GCMIVSize+len(plaintext)+GCMTagSize)
	iv := out[:GCMIVSize:GCMIVSize]
	if _, err := rand.Read(iv); err != nil {
		return nil, fmt.Errorf("pkcs11: %w", err)
	}
	err := t.withSession(ctx, func(s uintptr) error {
		var p runtime.Pinner
		defer p.Unpin()
		mod := t.st.mod
		if err := mod.call(fnEncryptInit, s, gcmMechanism(&p, iv, aad), uintptr(k.handle)); err != nil {
			return err
		}
		ct := out[GCMIVSize:]
		n := uint(len(ct))
		p.Pin(&n)
		p.Pin(&ct[0])
		if err := mod.call(fnEncrypt, s, dataPtr(&p, plaintext), uintptr(len(plaintext)), uintptr(unsafe.Pointer(&ct[0])), uintptr(unsafe.Pointer(&n))); err != nil {
			return err
		}
		if n != uint(len(ct)) {
			return fmt.Errorf("pkcs11: C_Encrypt returned %d bytes, want %d: %w", n, len(ct), ErrDevice)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("pkcs11: encrypt with key %q: %w", k.Label, err)
	}
	return out, nil
}

// DecryptGCM opens sealed (IV || ciphertext || tag, as EncryptGCM makes
// it) with k and aad. A blob that does not authenticate is ErrDecrypt;
// no plaintext is returned with an error.
func (t *Token) DecryptGCM(ctx context.Context, k Key, sealed, aad []byte) ([]byte, error) {
	return t.decryptGCM(ctx, k, sealed, aad, true)
}

// decryptGCM is DecryptGCM; probe says whether a general failure is
// checked with a trial round trip (not within that trial itself).
func (t *Token) decryptGCM(ctx context.Context, k Key, sealed, aad []byte, probe bool) ([]byte, error) {
	if len(sealed) < GCMIVSize+GCMTagSize {
		return nil, fmt.Errorf("pkcs11: decrypt with key %q: %d bytes is too short: %w", k.Label, len(sealed), ErrDecrypt)
	}
	if len(sealed) > MaxGCMInput+GCMIVSize+GCMTagSize || len(aad) > MaxGCMInput {
		return nil, fmt.Errorf("pkcs11: DecryptGCM input over %d bytes", MaxGCMInput)
	}
	iv := append([]byte(nil), sealed[:GCMIVSize]...)
	in := sealed[GCMIVSize:]
	// Room for the whole input: some modules buffer the tag in the output.
	out := make([]byte, len(in))
	var n uint
	err := t.withSession(ctx, func(s uintptr) error {
		var p runtime.Pinner
		defer p.Unpin()
		mod := t.st.mod
		if err := mod.call(fnDecryptInit, s, gcmMechanism(&p, iv, aad), uintptr(k.handle)); err != nil {
			return err
		}
		n = uint(len(out))
		p.Pin(&n)
		p.Pin(&out[0])
		return mod.call(fnDecrypt, s, dataPtr(&p, in), uintptr(len(in)), uintptr(unsafe.Pointer(&out[0])), uintptr(unsafe.Pointer(&n)))
	})
	if e := (*Error)(nil); probe && errors.As(err, &e) && e.Func == fnNames[fnDecrypt] &&
		(e.Code == ckrGeneralError || e.Code == ckrFunctionFailed) {
		// Some modules (SoftHSM2 among them) report a tag that does not
		// verify as a general failure rather than
		// CKR_ENCRYPTED_DATA_INVALID. Tell it from a failing device: if a
		// trial encryption and decryption with the key works, the token is
		// sound and the message is not authentic.
		if t.probeGCM(ctx, k) == nil {
			err = fmt.Errorf("%w (the token answered %s; a trial encryption and decryption with the key succeeded)", ErrDecrypt, rvName(e.Code))
		}
	}
	if err == nil && n != uint(len(in)-GCMTagSize) {
		err = fmt.Errorf("pkcs11: C_Decrypt returned %d bytes, want %d: %w", n, len(in)-GCMTagSize, ErrDevice)
	}
	if err != nil {
		clear(out)
		return nil, fmt.Errorf("pkcs11: decrypt with key %q: %w", k.Label, err)
	}
	return out[:n], nil
}

// probeGCM encrypts and decrypts a random block with k and checks the
// result.
func (t *Token) probeGCM(ctx context.Context, k Key) error {
	probe := make([]byte, 16)
	if _, err := rand.Read(probe); err != nil {
		return err
	}
	ct, err := t.EncryptGCM(ctx, k, probe, nil)
	if err != nil {
		return err
	}
	pt, err := t.decryptGCM(ctx, k, ct, nil, false)
	if err != nil {
		return err
	}
	if !bytes.Equal(pt, probe) {
		return fmt.Errorf("pkcs11: trial decryption returned other bytes: %w", ErrDevice)
	}
	return nil
}
