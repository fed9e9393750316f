package iam

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/trentkms/trent/internal/sigv4"
	"github.com/trentkms/trent/internal/store"
)

// Directory resolves access keys and session tokens to credentials and
// principals. It is safe for concurrent use. Unknown keys are remembered
// for NegativeTTL so that a flood of requests with made-up access keys does
// not reach the database each time.
//
// Revocation: every Forget* method takes effect for the next Lookup on
// this node. A lookup that read the store before a concurrent Forget does
// not cache what it read (a generation counter tells), so a revoked
// credential is never cached again.
type Directory struct {
	store       Store
	secrets     Secrets
	now         func() time.Time
	negativeTTL time.Duration

	hookMu   sync.Mutex
	onForget []func(accessKeyID string) // guarded by hookMu

	mu       sync.RWMutex
	gen      uint64                       // guarded by mu: bumped by every Forget*
	known    map[string]*sigv4.Credential // guarded by mu
	unknown  map[string]time.Time         // guarded by mu: access key -> when it was found missing
	sessions map[string]*session          // guarded by mu: ASIA... -> verified session
	roles    map[string]*roleEntry        // guarded by mu: account/lower(name) -> role
}

type session struct {
	token   string
	cred    *sigv4.Credential
	expires time.Time
}

type roleEntry struct {
	role     store.Role
	policies []string
	tags     map[string]string
}

// NewDirectory returns a Directory over st.
func NewDirectory(st Store, secrets Secrets) *Directory {
	return &Directory{
		store:       st,
		secrets:     secrets,
		now:         time.Now,
		negativeTTL: time.Second,
		known:       make(map[string]*sigv4.Credential),
		unknown:     make(map[string]time.Time),
		sessions:    make(map[string]*session),
		roles:       make(map[string]*roleEntry),
	}
}

// OnForget registers fn to be called with every access key ID (long-term
// or session) the directory drops, after it has dropped it: cmd/trent
// passes each sigv4.Verifier's Forget, so derived signing keys go too.
func (d *Directory) OnForget(fn func(accessKeyID string)) {
	d.hookMu.Lock()
	d.onForget = append(d.onForget, fn)
	d.hookMu.Unlock()
}

func (d *Directory) notify(ids []string) {
	d.hookMu.Lock()
	hooks := d.onForget
	d.hookMu.Unlock()
	for _, id := range ids {
		for _, fn := range hooks {
			fn(id)
		}
	}
}

func (d *Directory) generation() uint64 {
	d.mu.RLock()
	defer d.mu.RUnlock()
	return d.gen
}

// Lookup implements sigv4.Lookup for long-term access keys. The returned
// credential's Handle is a *Principal.
func (d *Directory) Lookup(ctx context.Context, id string) (*sigv4.Credential, error) {
	d.mu.RLock()
	c, ok := d.known[id]
	missing, neg := d.unknown[id]
	gen := d.gen
	d.mu.RUnlock()
	if ok {
		return c, nil
	}
	if neg && d.now().Sub(missing) < d.negativeTTL {
		return nil, sigv4.ErrUnknownAccessKey
	}
	c, err := d.load(ctx, id)
	if errors.Is(err, sigv4.ErrUnknownAccessKey) {
		d.mu.Lock()
		if len(d.unknown) > 100000 {
			clear(d.unknown)
		}
		if d.gen == gen {
			d.unknown[id] = d.now()
		}
		d.mu.Unlock()
		return nil, err
	}
	if err != nil {
		return nil, err
	}
	d.mu.Lock()
	if prev, ok := d.known[id]; ok {
		c = prev
	} else if d.gen == gen {
		d.known[id] = c
		delete(d.unknown, id)
	}
	d.mu.Unlock()
	return c, nil
}

// load reads an access key and its principal from the store.
func (d *Directory) load(ctx context.Context, id string) (*sigv4.Credential, error) {
	k, err := d.store.AccessKey(ctx, id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && !k.Active) {
		return nil, sigv4.ErrUnknownAccessKey
	}
	if err != nil {
		return nil, fmt.Errorf("look up access key: %w", err)
	}
	p := &Principal{Type: TypeRoot, Account: k.AccountID, ARN: k.PrincipalARN, UserID: k.AccountID}
	if k.UserName != "" {
		u, err := d.store.User(ctx, k.AccountID, k.UserName)
		if errors.Is(err, store.ErrNotFound) {
			return nil, sigv4.ErrUnknownAccessKey
		}
		if err != nil {
			return nil, fmt.Errorf("look up user of access key %s: %w", id, err)
		}
		pols, err := d.store.Policies(ctx, store.PrincipalUser, k.AccountID, u.Name)
		if err != nil {
			return nil, fmt.Errorf("look up policies of user %s: %w", u.Name, err)
		}
		p = &Principal{Type: TypeUser, Account: u.Account, ARN: u.ARN, UserID: u.ID, UserName: u.Name,
			Tags: tagMap(u.Tags), Policies: documents(pols)}
	}
	secret, err := d.secrets.UnwrapSecret(SecretLabel(k.ID), k.WrappedSecret)
	if err != nil {
		return nil, fmt.Errorf("unwrap secret of access key %s: %w", k.ID, err)
	}
	return &sigv4.Credential{Secret: secret, Handle: p}, nil
}

func tagMap(tags []store.Tag) map[string]string {
	if len(tags) == 0 {
		return nil
	}
	m := make(map[string]string, len(tags))
	for _, t := range tags {
		m[t.Key] = t.Value
	}
	return m
}

func documents(ps []store.InlinePolicy) []string {
	var out []string
	for _, p := range ps {
		out = append(out, p.Document)
	}
	return out
}

func roleKey(account, name string) string { return account + "/" + strings.ToLower(name) }

// role returns a role and its policies, from the cache or the store;
// ErrNotFound if it does not exist.
func (d *Directory) role(ctx context.Context, account, name string) (*roleEntry, error) {
	key := roleKey(account, name)
	d.mu.RLock()
	e, gen := d.roles[key], d.gen
	d.mu.RUnlock()
	if e != nil {
		return e, nil
	}
	r, err := d.store.Role(ctx, account, name)
	if err != nil {
		return nil, err
	}
	pols, err := d.store.Policies(ctx, store.PrincipalRole, account, r.Name)
	if err != nil {
		return nil, fmt.Errorf("look up policies of role %s: %w", name, err)
	}
	e = &roleEntry{role: r, policies: documents(pols), tags: tagMap(r.Tags)}
	d.mu.Lock()
	if d.gen == gen {
		d.roles[key] = e
	}
	d.mu.Unlock()
	return e, nil
}

// LookupSession implements sigv4.SessionLookup: it verifies a session
// token (see docs/session-token.md) for the access key ID, without a
// database read once the session's source key and role are cached. The
// returned credential's Handle is a *Principal of TypeAssumedRole.
func (d *Directory) LookupSession(ctx context.Context, id, token string) (*sigv4.Credential, error) {
	if !strings.HasPrefix(id, sessionKeyPrefix) {
		return nil, sigv4.ErrUnknownAccessKey
	}
	now := d.now()
	d.mu.RLock()
	s, gen := d.sessions[id], d.gen
	d.mu.RUnlock()
	if s != nil && subtle.ConstantTimeCompare([]byte(s.token), []byte(token)) == 1 {
		if !now.Before(s.expires) {
			return nil, sigv4.ErrExpiredToken
		}
		return s.cred, nil
	}
	cl, err := openToken(d.secrets, id, token)
	if err != nil {
		return nil, sigv4.ErrUnknownAccessKey
	}
	if !now.Before(cl.expires()) {
		return nil, sigv4.ErrExpiredToken
	}
	if _, err := d.Lookup(ctx, cl.SourceKey); err != nil {
		return nil, err // ErrUnknownAccessKey when the source key is revoked
	}
	e, err := d.role(ctx, cl.Account, cl.RoleName)
	if errors.Is(err, store.ErrNotFound) {
		return nil, sigv4.ErrUnknownAccessKey
	}
	if err != nil {
		return nil, err
	}
	if e.role.ID != cl.RoleID {
		return nil, sigv4.ErrUnknownAccessKey // deleted and created again: old sessions end
	}
	p := sessionPrincipal(e, cl.SessionName)
	p.sourceKey = cl.SourceKey
	c := &sigv4.Credential{Secret: []byte(cl.Secret), Handle: p}
	d.mu.Lock()
	if d.gen == gen {
		if len(d.sessions) > 100000 {
			clear(d.sessions)
		}
		d.sessions[id] = &session{token: strings.Clone(token), cred: c, expires: cl.expires()}
	}
	d.mu.Unlock()
	return c, nil
}

func sessionPrincipal(e *roleEntry, sessionName string) *Principal {
	r := &e.role
	return &Principal{
		Type:        TypeAssumedRole,
		Account:     r.Account,
		ARN:         "arn:aws:sts::" + r.Account + ":assumed-role/" + r.Name + "/" + sessionName,
		UserID:      r.ID + ":" + sessionName,
		RoleARN:     r.ARN,
		SessionName: sessionName,
		Tags:        e.tags,
		Policies:    e.policies,
		RoleID:      r.ID,
	}
}

// Forget drops an access key (after revocation, or creation: it also
// clears the negative cache) and the sessions derived from it.
func (d *Directory) Forget(id string) {
	d.mu.Lock()
	d.gen++
	dropped := d.forgetLocked(id, nil)
	d.mu.Unlock()
	d.notify(dropped)
}

// forgetLocked drops key id and its sessions, appending the dropped IDs to
// dropped. d.mu must be held for writing.
func (d *Directory) forgetLocked(id string, dropped []string) []string {
	delete(d.known, id)
	delete(d.unknown, id)
	dropped = append(dropped, id)
	for sid, s := range d.sessions {
		if s.cred.Handle.(*Principal).sourceKey == id {
			delete(d.sessions, sid)
			dropped = append(dropped, sid)
		}
	}
	return dropped
}

// ForgetUser drops every cached access key of a user (after a change to
// its policies or tags, or its deletion) and the sessions derived from them.
func (d *Directory) ForgetUser(account, name string) {
	d.mu.Lock()
	d.gen++ // also when nothing is cached: a lookup in flight must not cache
	var dropped []string
	for id, c := range d.known {
		if p := c.Handle.(*Principal); p.Type == TypeUser && p.Account == account && strings.EqualFold(p.UserName, name) {
			dropped = d.forgetLocked(id, dropped)
		}
	}
	d.mu.Unlock()
	d.notify(dropped)
}

// ForgetRole drops a role (after a change to its policies, tags or trust
// policy, or its deletion) and every session of it.
func (d *Directory) ForgetRole(account, name string) {
	arnSuffix := ":role/"
	d.mu.Lock()
	d.gen++
	delete(d.roles, roleKey(account, name))
	var dropped []string
	for sid, s := range d.sessions {
		p := s.cred.Handle.(*Principal)
		if p.Account == account && strings.Contains(p.RoleARN, arnSuffix) && strings.EqualFold(roleNameOf(p.RoleARN), name) {
			delete(d.sessions, sid)
			dropped = append(dropped, sid)
		}
	}
	d.mu.Unlock()
	d.notify(dropped)
}

// roleNameOf returns the name in a role ARN (the part after the last '/').
func roleNameOf(arn string) string {
	if i := strings.LastIndexByte(arn, '/'); i >= 0 {
		return arn[i+1:]
	}
	return arn
}

// ForgetAll drops everything cached (after a failed change-feed poll).
func (d *Directory) ForgetAll() {
	d.mu.Lock()
	d.gen++
	var dropped []string
	for id := range d.known {
		dropped = append(dropped, id)
	}
	for id := range d.sessions {
		dropped = append(dropped, id)
	}
	clear(d.known)
	clear(d.unknown)
	clear(d.sessions)
	clear(d.roles)
	d.mu.Unlock()
	d.notify(dropped)
}

// Changed applies a change-feed entry written by another node (or by this
// one: forgetting twice is harmless). It is what the service's watcher
// calls for identity changes.
func (d *Directory) Changed(c store.Change) {
	switch c.Kind {
	case store.ChangeAccessKey:
		d.Forget(c.Name)
	case store.ChangeUser:
		d.ForgetUser(c.Account, c.Name)
	case store.ChangeRole:
		d.ForgetRole(c.Account, c.Name)
	}
}

// SetClock replaces the clock that decides session expiry (tests; the
// default is time.Now). Call it before the directory is used.
func (d *Directory) SetClock(now func() time.Time) { d.now = now }
