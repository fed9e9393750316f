package pkcs11

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/binary"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"unsafe"
)

// DefaultMaxSessions is TokenOptions.MaxSessions when it is zero.
const DefaultMaxSessions = 8

// TokenOptions configure OpenToken.
type TokenOptions struct {
	// MaxSessions bounds the sessions the token's pool opens, one per
	// concurrent operation; more operations wait. Zero means
	// DefaultMaxSessions. The session that holds the login is extra.
	MaxSessions int
}

// tokenState is a logged-in token, shared by every Token of the process
// that opened the same slot of the same module (PKCS#11 shares the login
// between them anyway).
type tokenState struct {
	mod    *moduleState
	info   TokenInfo
	pinKey [32]byte // random; pinMAC = HMAC-SHA256(pinKey, PIN)
	pinMAC [32]byte
	refs   int // guarded by mod.mu

	anchor uintptr       // the session that holds the login
	idle   chan uintptr  // open sessions not in use
	slots  chan struct{} // one per open pool session

	mu     sync.RWMutex // operations hold it for reading, closeAll for writing
	closed bool         // guarded by mu
}

// Token is a token in a slot of a module, logged in as the user. Close
// releases it; the last Token of a slot closes the slot's sessions, which
// logs the process out of the token. A session that fails in a way that
// leaves it unusable is closed rather than reused; a Token whose token
// went away (its operations fail with ErrTokenNotPresent, ErrKeyNotFound
// or ErrDevice) does not reconnect: close it and open the token again.
type Token struct {
	st     *tokenState
	mu     sync.Mutex // guards closed
	closed bool
}

// OpenToken logs in to the initialised token labelled label (blank-padded
// in the token's info, compared without the padding) with the user PIN
// and returns it with a session pool. The caller zeroes pin when it
// returns. Errors: ErrTokenNotFound (no such token; the message lists the
// labels there are), ErrTokenAmbiguous, ErrPINIncorrect, ErrPINLocked,
// ErrTokenNotPresent, ErrDevice. A second OpenToken of a token the
// process has open must give the same PIN (ErrPINIncorrect otherwise,
// without asking the token, which already holds the login).
func (m *Module) OpenToken(label string, pin []byte, opts TokenOptions) (*Token, error) {
	if m.isClosed() {
		return nil, ErrClosed
	}
	if len(pin) == 0 {
		return nil, fmt.Errorf("pkcs11: token %q: an empty PIN: %w", label, ErrPINIncorrect)
	}
	if opts.MaxSessions < 0 {
		return nil, fmt.Errorf("pkcs11: MaxSessions %d is negative", opts.MaxSessions)
	}
	max := opts.MaxSessions
	if max == 0 {
		max = DefaultMaxSessions
	}
	info, err := m.findToken(label)
	if err != nil {
		return nil, err
	}
	st := m.st
	st.mu.Lock()
	defer st.mu.Unlock()
	if ts, ok := st.tokens[info.Slot]; ok {
		if subtle.ConstantTimeCompare(pinMAC(&ts.pinKey, pin), ts.pinMAC[:]) != 1 {
			return nil, fmt.Errorf("pkcs11: token %q is open in this process with another PIN: %w", label, ErrPINIncorrect)
		}
		ts.refs++
		return &Token{st: ts}, nil
	}
	ts := &tokenState{mod: st, info: info, refs: 1,
		idle: make(chan uintptr, max), slots: make(chan struct{}, max)}
	if _, err := rand.Read(ts.pinKey[:]); err != nil {
		return nil, fmt.Errorf("pkcs11: %w", err)
	}
	copy(ts.pinMAC[:], pinMAC(&ts.pinKey, pin))
	ts.anchor, err = ts.openSession()
	if err != nil {
		return nil, fmt.Errorf("pkcs11: open a session on token %q: %w", label, err)
	}
	var p runtime.Pinner
	p.Pin(&pin[0])
	err = st.call(fnLogin, ts.anchor, ckuUser, uintptr(unsafe.Pointer(&pin[0])), uintptr(len(pin)))
	p.Unpin()
	var e *Error
	if errors.As(err, &e) && e.Code == ckrUserAlreadyLoggedIn {
		err = nil // logged in by another library of this process
	}
	if err != nil {
		st.call(fnCloseSession, ts.anchor)
		return nil, fmt.Errorf("pkcs11: log in to token %q: %w", label, err)
	}
	st.tokens[info.Slot] = ts
	return &Token{st: ts}, nil
}

func pinMAC(key *[32]byte, pin []byte) []byte {
	m := hmac.New(sha256.New, key[:])
	m.Write(pin)
	return m.Sum(nil)
}

// Info returns the token's description as read when it was opened.
func (t *Token) Info() TokenInfo { return t.st.info }

// Close releases the Token; the last Token of its slot closes the slot's
// sessions. Operations in progress finish first. Close is idempotent.
func (t *Token) Close() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return nil
	}
	t.closed = true
	ts := t.st
	st := ts.mod
	st.mu.Lock()
	defer st.mu.Unlock()
	ts.refs--
	if ts.refs > 0 {
		return nil
	}
	if st.tokens[ts.info.Slot] == ts {
		delete(st.tokens, ts.info.Slot)
	}
	ts.closeAll()
	return nil
}

// closeAll closes every session of the token, the login's last.
func (ts *tokenState) closeAll() {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	if ts.closed {
		return
	}
	ts.closed = true
	for {
		select {
		case s := <-ts.idle:
			ts.mod.call(fnCloseSession, s)
			continue
		default:
		}
		break
	}
	ts.mod.call(fnCloseSession, ts.anchor)
	clear(ts.pinKey[:])
	clear(ts.pinMAC[:])
}

func (ts *tokenState) openSession() (uintptr, error) {
	var h uint
	var p runtime.Pinner
	p.Pin(&h)
	defer p.Unpin()
	if err := ts.mod.call(fnOpenSession, uintptr(ts.info.Slot), ckfSerialSession|ckfRWSession, 0, 0, uintptr(unsafe.Pointer(&h))); err != nil {
		return 0, err
	}
	return uintptr(h), nil
}

// withSession runs f with a session of the pool: an idle one, a new one
// while fewer than MaxSessions are open, else the first one returned
// (or ctx's error). A session f's error says is lost is closed, not
// returned to the pool.
func (t *Token) withSession(ctx context.Context, f func(s uintptr) error) error {
	t.mu.Lock()
	closed := t.closed
	t.mu.Unlock()
	if closed {
		return ErrClosed
	}
	ts := t.st
	ts.mu.RLock()
	defer ts.mu.RUnlock()
	if ts.closed {
		return ErrClosed
	}
	var s uintptr
	select {
	case s = <-ts.idle:
	default:
		select {
		case s = <-ts.idle:
		case ts.slots <- struct{}{}:
			var err error
			if s, err = ts.openSession(); err != nil {
				<-ts.slots
				return fmt.Errorf("pkcs11: open a session on token %q: %w", ts.info.Label, err)
			}
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	err := f(s)
	if sessionLost(err) {
		ts.mod.call(fnCloseSession, s)
		<-ts.slots
	} else {
		ts.idle <- s
	}
	return err
}

// attribute is one entry of a template, its value in C's encoding.
type attribute struct {
	typ   uint
	value []byte
}

func boolAttr(typ uint, v bool) attribute {
	if v {
		return attribute{typ, []byte{1}}
	}
	return attribute{typ, []byte{0}}
}

func ulongAttr(typ uint, v uint) attribute {
	b := make([]byte, unsafe.Sizeof(v))
	binary.NativeEndian.PutUint64(b, uint64(v))
	return attribute{typ, b}
}

type ckAttribute struct {
	typ      uint
	value    unsafe.Pointer
	valueLen uint
}

// template returns attrs as a pinned CK_ATTRIBUTE array.
func template(p *runtime.Pinner, attrs []attribute) (uintptr, uintptr) {
	if len(attrs) == 0 {
		return 0, 0
	}
	ca := make([]ckAttribute, len(attrs))
	for i, a := range attrs {
		ca[i].typ = a.typ
		ca[i].valueLen = uint(len(a.value))
		if len(a.value) > 0 {
			p.Pin(&a.value[0])
			ca[i].value = unsafe.Pointer(&a.value[0])
		}
	}
	p.Pin(&ca[0])
	return uintptr(unsafe.Pointer(&ca[0])), uintptr(len(ca))
}

// Key names a secret key object in a token. The handle is valid while the
// Token that found or made it is open.
type Key struct {
	handle uint
	Label  string
	ID     []byte // CKA_ID
}

// KeyLabelMax bounds the labels this package gives and looks up.
const KeyLabelMax = 255

func validKeyLabel(label string) error {
	if label == "" || len(label) > KeyLabelMax {
		return fmt.Errorf("pkcs11: a key label is 1 to %d bytes, not %d", KeyLabelMax, len(label))
	}
	return nil
}

// FindKey returns the one secret key labelled label: ErrKeyNotFound if
// there is none, ErrKeyAmbiguous if there are several.
func (t *Token) FindKey(ctx context.Context, label string) (Key, error) {
	if err := validKeyLabel(label); err != nil {
		return Key{}, err
	}
	var k Key
	err := t.withSession(ctx, func(s uintptr) error {
		hs, err := t.find(s, label)
		if err != nil {
			return err
		}
		switch len(hs) {
		case 0:
			return fmt.Errorf("%w: token %q holds no secret key labelled %q", ErrKeyNotFound, t.st.info.Label, label)
		case 1:
		default:
			return fmt.Errorf("%w: token %q holds %d secret keys labelled %q", ErrKeyAmbiguous, t.st.info.Label, len(hs), label)
		}
		id, err := t.attrBytes(s, hs[0], ckaID)
		if err != nil {
			return err
		}
		k = Key{handle: hs[0], Label: label, ID: id}
		return nil
	})
	return k, err
}

// find returns up to two handles of secret keys labelled label.
func (t *Token) find(s uintptr, label string) ([]uint, error) {
	var p runtime.Pinner
	defer p.Unpin()
	tp, tn := template(&p, []attribute{ulongAttr(ckaClass, ckoSecretKey), {ckaLabel, []byte(label)}})
	st := t.st.mod
	if err := st.call(fnFindObjectsInit, s, tp, tn); err != nil {
		return nil, err
	}
	hs := make([]uint, 2)
	var n uint
	p.Pin(&hs[0])
	p.Pin(&n)
	err := st.call(fnFindObjects, s, uintptr(unsafe.Pointer(&hs[0])), uintptr(len(hs)), uintptr(unsafe.Pointer(&n)))
	if ferr := st.call(fnFindObjectsFinal, s); err == nil {
		err = ferr
	}
	if err != nil {
		return nil, err
	}
	return hs[:min(n, uint(len(hs)))], nil
}

// attrBytes reads one attribute of an object.
func (t *Token) attrBytes(s uintptr, h uint, typ uint) ([]byte, error) {
	var p runtime.Pinner
	defer p.Unpin()
	a := &ckAttribute{typ: typ}
	p.Pin(a)
	st := t.st.mod
	if err := st.call(fnGetAttributeValue, s, uintptr(h), uintptr(unsafe.Pointer(a)), 1); err != nil {
		return nil, err
	}
	if a.valueLen == ^uint(0) { // CK_UNAVAILABLE_INFORMATION
		return nil, &Error{Func: fnNames[fnGetAttributeValue], Code: ckrAttributeTypeInvalid}
	}
	if a.valueLen == 0 {
		return []byte{}, nil
	}
	if a.valueLen > 1<<16 {
		return nil, fmt.Errorf("pkcs11: attribute %#x of %d bytes: %w", typ, a.valueLen, ErrDevice)
	}
	buf := make([]byte, a.valueLen)
	p.Pin(&buf[0])
	a.value = unsafe.Pointer(&buf[0])
	if err := st.call(fnGetAttributeValue, s, uintptr(h), uintptr(unsafe.Pointer(a)), 1); err != nil {
		return nil, err
	}
	return buf[:min(a.valueLen, uint(len(buf)))], nil
}

// KeyAttributes are the security attributes of a secret key object.
type KeyAttributes struct {
	Token            bool // CKA_TOKEN: kept in the token, not a session object
	Private          bool // CKA_PRIVATE: visible only after login
	Sensitive        bool // CKA_SENSITIVE: its value is never revealed in plaintext
	Extractable      bool // CKA_EXTRACTABLE: may be wrapped out of the token
	AlwaysSensitive  bool // CKA_ALWAYS_SENSITIVE
	NeverExtractable bool // CKA_NEVER_EXTRACTABLE
	Local            bool // CKA_LOCAL: generated in the token
	Encrypt, Decrypt bool
	KeyType          uint // CKA_KEY_TYPE (0x1f: AES)
	ValueLen         uint // CKA_VALUE_LEN in bytes
}

// Attributes reads k's security attributes.
func (t *Token) Attributes(ctx context.Context, k Key) (KeyAttributes, error) {
	var a KeyAttributes
	err := t.withSession(ctx, func(s uintptr) error {
		bools := []struct {
			typ uint
			dst *bool
		}{
			{ckaToken, &a.Token}, {ckaPrivate, &a.Private}, {ckaSensitive, &a.Sensitive},
			{ckaExtractable, &a.Extractable}, {ckaAlwaysSensitive, &a.AlwaysSensitive},
			{ckaNeverExtractable, &a.NeverExtractable}, {ckaLocal, &a.Local},
			{ckaEncrypt, &a.Encrypt}, {ckaDecrypt, &a.Decrypt},
		}
		for _, b := range bools {
			v, err := t.attrBytes(s, k.handle, b.typ)
			if err != nil {
				return fmt.Errorf("pkcs11: read attribute %#x of key %q: %w", b.typ, k.Label, err)
			}
			*b.dst = len(v) == 1 && v[0] != 0
		}
		for _, u := range []struct {
			typ uint
			dst *uint
		}{{ckaKeyType, &a.KeyType}, {ckaValueLen, &a.ValueLen}} {
			v, err := t.attrBytes(s, k.handle, u.typ)
			if err != nil {
				return fmt.Errorf("pkcs11: read attribute %#x of key %q: %w", u.typ, k.Label, err)
			}
			if len(v) != int(unsafe.Sizeof(uint(0))) {
				return fmt.Errorf("pkcs11: attribute %#x of key %q has %d bytes: %w", u.typ, k.Label, len(v), ErrDevice)
			}
			*u.dst = uint(binary.NativeEndian.Uint64(v))
		}
		return nil
	})
	return a, err
}

// AESKeySize is the size in bytes of the keys GenerateKey makes.
const AESKeySize = 32

// KeyTypeAES is CKK_AES, the KeyType of an AES key's KeyAttributes.
const KeyTypeAES = ckkAES

// GenerateKey makes an AES-256 key in the token (CKM_AES_KEY_GEN), labelled
// label and with CKA_ID id (nil: 16 random bytes): a token object
// (CKA_TOKEN), private, sensitive and not extractable, allowed to encrypt
// and decrypt and nothing else. It checks the attributes the token gave
// the key and destroys a key whose CKA_SENSITIVE or CKA_EXTRACTABLE is
// not what was asked. A label that a secret key in the token has already
// is ErrKeyExists.
func (t *Token) GenerateKey(ctx context.Context, label string, id []byte) (Key, error) {
	if err := validKeyLabel(label); err != nil {
		return Key{}, err
	}
	if id == nil {
		id = make([]byte, 16)
		if _, err := rand.Read(id); err != nil {
			return Key{}, fmt.Errorf("pkcs11: %w", err)
		}
	}
	if len(id) == 0 || len(id) > KeyLabelMax {
		return Key{}, fmt.Errorf("pkcs11: a key ID is 1 to %d bytes, not %d", KeyLabelMax, len(id))
	}
	var k Key
	err := t.withSession(ctx, func(s uintptr) error {
		hs, err := t.find(s, label)
		if err != nil {
			return err
		}
		if len(hs) > 0 {
			return fmt.Errorf("%w: token %q holds a secret key labelled %q", ErrKeyExists, t.st.info.Label, label)
		}
		var p runtime.Pinner
		defer p.Unpin()
		tp, tn := template(&p, []attribute{
			ulongAttr(ckaClass, ckoSecretKey), ulongAttr(ckaKeyType, ckkAES),
			ulongAttr(ckaValueLen, AESKeySize),
			boolAttr(ckaToken, true), boolAttr(ckaPrivate, true),
			boolAttr(ckaSensitive, true), boolAttr(ckaExtractable, false),
			boolAttr(ckaEncrypt, true), boolAttr(ckaDecrypt, true),
			boolAttr(ckaWrap, false), boolAttr(ckaUnwrap, false),
			boolAttr(ckaSign, false), boolAttr(ckaVerify, false), boolAttr(ckaDerive, false),
			{ckaLabel, []byte(label)}, {ckaID, id},
		})
		mech := &ckMechanism{mechanism: ckmAESKeyGen}
		p.Pin(mech)
		var h uint
		p.Pin(&h)
		if err := t.st.mod.call(fnGenerateKey, s, uintptr(unsafe.Pointer(mech)), tp, tn, uintptr(unsafe.Pointer(&h))); err != nil {
			return fmt.Errorf("pkcs11: generate key %q in token %q: %w", label, t.st.info.Label, err)
		}
		k = Key{handle: h, Label: label, ID: append([]byte(nil), id...)}
		return nil
	})
	if err != nil {
		return Key{}, err
	}
	a, err := t.Attributes(ctx, k)
	if err == nil && (!a.Sensitive || a.Extractable || !a.Token) {
		err = fmt.Errorf("pkcs11: token %q made key %q with CKA_SENSITIVE %t, CKA_EXTRACTABLE %t, CKA_TOKEN %t; destroyed it: %w",
			t.st.info.Label, label, a.Sensitive, a.Extractable, a.Token, ErrMechanism)
	}
	if err != nil {
		t.DestroyKey(ctx, k)
		return Key{}, err
	}
	return k, nil
}

// DestroyKey destroys k in the token.
func (t *Token) DestroyKey(ctx context.Context, k Key) error {
	return t.withSession(ctx, func(s uintptr) error {
		if err := t.st.mod.call(fnDestroyObject, s, uintptr(k.handle)); err != nil {
			return fmt.Errorf("pkcs11: destroy key %q: %w", k.Label, err)
		}
		return nil
	})
}

// MaxRandom bounds GenerateRandom's n.
const MaxRandom = 1 << 16

// GenerateRandom returns n (1 to MaxRandom) bytes from the token's random
// number generator.
func (t *Token) GenerateRandom(ctx context.Context, n int) ([]byte, error) {
	if n < 1 || n > MaxRandom {
		return nil, fmt.Errorf("pkcs11: GenerateRandom of %d bytes (1 to %d)", n, MaxRandom)
	}
	b := make([]byte, n)
	err := t.withSession(ctx, func(s uintptr) error {
		var p runtime.Pinner
		defer p.Unpin()
		p.Pin(&b[0])
		return t.st.mod.call(fnGenerateRandom, s, uintptr(unsafe.Pointer(&b[0])), uintptr(n))
	})
	if err != nil {
		return nil, fmt.Errorf("pkcs11: generate random: %w", err)
	}
	return b, nil
}

// SupportsGCM reports whether the token offers CKM_AES_GCM for encryption
// and decryption (ErrMechanism wrapped in the error otherwise).
func (t *Token) SupportsGCM() error {
	var info struct{ minKeySize, maxKeySize, flags uint }
	var p runtime.Pinner
	p.Pin(&info)
	err := t.st.mod.call(fnGetMechanismInfo, uintptr(t.st.info.Slot), ckmAESGCM, uintptr(unsafe.Pointer(&info)))
	p.Unpin()
	if err != nil {
		var e *Error
		if errors.As(err, &e) && e.Code == ckrMechanismInvalid {
			return fmt.Errorf("pkcs11: token %q does not offer CKM_AES_GCM: %w", t.st.info.Label, ErrMechanism)
		}
		return fmt.Errorf("pkcs11: token %q: %w", t.st.info.Label, err)
	}
	if info.flags&(ckfEncrypt|ckfDecrypt) != ckfEncrypt|ckfDecrypt {
		return fmt.Errorf("pkcs11: token %q offers CKM_AES_GCM without both encryption and decryption: %w", t.st.info.Label, ErrMechanism)
	}
	return nil
}
