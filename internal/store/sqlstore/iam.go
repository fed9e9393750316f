package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/trentkms/trent/internal/store"
)

// nameKey is the form in which IAM names are unique: AWS compares user and
// role names without regard to (ASCII) case.
func nameKey(name string) string { return strings.ToLower(name) }

func decodeTags(s, what string) ([]store.Tag, error) {
	if s == "" {
		return nil, nil
	}
	var tags []store.Tag
	if err := json.Unmarshal([]byte(s), &tags); err != nil {
		return nil, fmt.Errorf("decode tags of %s: %w", what, err)
	}
	return tags, nil
}

// accountExists checks, inside tx, that the account exists.
func (s *DB) accountExists(ctx context.Context, tx *sql.Tx, account string) error {
	var one int
	err := tx.QueryRowContext(ctx, `SELECT 1 FROM accounts WHERE id = $1`+s.d.ForUpdate, account).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("account %s: %w", account, store.ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("read account %s: %w", account, err)
	}
	return nil
}

// principalTable is the table of a principal kind.
func principalTable(kind string) (string, store.ChangeKind, error) {
	switch kind {
	case store.PrincipalUser:
		return "iam_users", store.ChangeUser, nil
	case store.PrincipalRole:
		return "iam_roles", store.ChangeRole, nil
	}
	return "", "", fmt.Errorf("unknown principal kind %q", kind)
}

// lockPrincipal reads (and on PostgreSQL locks until the transaction ends)
// a user's or role's row, returning its tags; ErrNotFound if it is absent.
func (s *DB) lockPrincipal(ctx context.Context, tx *sql.Tx, kind, account, name string) (string, error) {
	table, _, err := principalTable(kind)
	if err != nil {
		return "", err
	}
	var tags string
	err = tx.QueryRowContext(ctx, `SELECT tags FROM `+table+` WHERE account = $1 AND name_key = $2`+s.d.ForUpdate,
		account, nameKey(name)).Scan(&tags)
	if errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("%s %s: %w", kind, name, store.ErrNotFound)
	}
	if err != nil {
		return "", fmt.Errorf("read %s %s: %w", kind, name, err)
	}
	return tags, nil
}

const userCols = `account, name, path, id, arn, created_at, tags`

func scanUser(sc scanner) (store.User, error) {
	var u store.User
	var created int64
	var tags string
	if err := sc.Scan(&u.Account, &u.Name, &u.Path, &u.ID, &u.ARN, &created, &tags); err != nil {
		return store.User{}, err
	}
	u.CreatedAt = fromNanos(created)
	var err error
	u.Tags, err = decodeTags(tags, "user "+u.Name)
	return u, err
}

// CreateUser implements store.Store.
func (s *DB) CreateUser(ctx context.Context, u store.User) error {
	tags, err := encodeTags(u.Tags)
	if err != nil {
		return err
	}
	return s.tx(ctx, func(tx *sql.Tx) error {
		if err := s.accountExists(ctx, tx, u.Account); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO iam_users (name_key, `+userCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
			nameKey(u.Name), u.Account, u.Name, u.Path, u.ID, u.ARN, nanos(u.CreatedAt), tags)
		if err != nil {
			return fmt.Errorf("insert user %s: %w", u.Name, s.mapInsertErr(err))
		}
		return s.recordChange(ctx, tx, store.ChangeUser, u.Account, "", nameKey(u.Name))
	})
}

// User implements store.Store.
func (s *DB) User(ctx context.Context, account, name string) (store.User, error) {
	u, err := scanUser(s.db.QueryRowContext(ctx, `SELECT `+userCols+` FROM iam_users WHERE account = $1 AND name_key = $2`, account, nameKey(name)))
	if errors.Is(err, sql.ErrNoRows) {
		return store.User{}, store.ErrNotFound
	}
	if err != nil {
		return store.User{}, fmt.Errorf("read user %s: %w", name, err)
	}
	return u, nil
}

// pathPrefixClause filters on a path prefix with substr, which both
// engines share and which, unlike LIKE, has no wildcards to escape.
const pathPrefixClause = ` AND substr(path, 1, $3) = $4`

// ListUsers implements store.Store.
func (s *DB) ListUsers(ctx context.Context, account, pathPrefix, after string, limit int) ([]store.User, error) {
	if err := checkLimit(limit); err != nil {
		return nil, err
	}
	return queryAll(ctx, s.db, "list users", scanUser, `SELECT `+userCols+` FROM iam_users WHERE account = $1 AND name_key > $2`+pathPrefixClause+` ORDER BY name_key LIMIT $5`,
		account, nameKey(after), len(pathPrefix), pathPrefix, limit)
}

// DeleteUser implements store.Store.
func (s *DB) DeleteUser(ctx context.Context, account, name string) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		if _, err := s.lockPrincipal(ctx, tx, store.PrincipalUser, account, name); err != nil {
			return err
		}
		var keys, policies int64
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM access_keys WHERE account_id = $1 AND user_name <> '' AND lower(user_name) = $2`,
			account, nameKey(name)).Scan(&keys); err != nil {
			return fmt.Errorf("count access keys of %s: %w", name, err)
		}
		if keys > 0 {
			return store.ErrAccessKeysRemain
		}
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM iam_policies WHERE account = $1 AND owner_kind = $2 AND owner_key = $3`,
			account, store.PrincipalUser, nameKey(name)).Scan(&policies); err != nil {
			return fmt.Errorf("count policies of %s: %w", name, err)
		}
		if policies > 0 {
			return store.ErrPoliciesRemain
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM iam_users WHERE account = $1 AND name_key = $2`, account, nameKey(name)); err != nil {
			return fmt.Errorf("delete user %s: %w", name, err)
		}
		return s.recordChange(ctx, tx, store.ChangeUser, account, "", nameKey(name))
	})
}

const roleCols = `account, name, path, id, arn, description, trust_policy, max_session_duration, created_at, tags, trust_principals`

func scanRole(sc scanner) (store.Role, error) {
	var r store.Role
	var created, maxDur int64
	var tags, principals string
	if err := sc.Scan(&r.Account, &r.Name, &r.Path, &r.ID, &r.ARN, &r.Description, &r.TrustPolicy, &maxDur, &created, &tags, &principals); err != nil {
		return store.Role{}, err
	}
	r.CreatedAt, r.MaxSessionDuration = fromNanos(created), int(maxDur)
	var err error
	if r.TrustPrincipals, err = decodePrincipals(principals); err != nil {
		return store.Role{}, fmt.Errorf("decode trust principals of role %s: %w", r.Name, err)
	}
	r.Tags, err = decodeTags(tags, "role "+r.Name)
	return r, err
}

// CreateRole implements store.Store.
func (s *DB) CreateRole(ctx context.Context, r store.Role) error {
	tags, err := encodeTags(r.Tags)
	if err != nil {
		return err
	}
	principals, err := encodePrincipals(r.TrustPrincipals)
	if err != nil {
		return err
	}
	return s.tx(ctx, func(tx *sql.Tx) error {
		if err := s.accountExists(ctx, tx, r.Account); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO iam_roles (name_key, `+roleCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
			nameKey(r.Name), r.Account, r.Name, r.Path, r.ID, r.ARN, r.Description, r.TrustPolicy, int64(r.MaxSessionDuration), nanos(r.CreatedAt), tags, principals)
		if err != nil {
			return fmt.Errorf("insert role %s: %w", r.Name, s.mapInsertErr(err))
		}
		return s.recordChange(ctx, tx, store.ChangeRole, r.Account, "", nameKey(r.Name))
	})
}

// Role implements store.Store.
func (s *DB) Role(ctx context.Context, account, name string) (store.Role, error) {
	r, err := scanRole(s.db.QueryRowContext(ctx, `SELECT `+roleCols+` FROM iam_roles WHERE account = $1 AND name_key = $2`, account, nameKey(name)))
	if errors.Is(err, sql.ErrNoRows) {
		return store.Role{}, store.ErrNotFound
	}
	if err != nil {
		return store.Role{}, fmt.Errorf("read role %s: %w", name, err)
	}
	return r, nil
}

// ListRoles implements store.Store.
func (s *DB) ListRoles(ctx context.Context, account, pathPrefix, after string, limit int) ([]store.Role, error) {
	if err := checkLimit(limit); err != nil {
		return nil, err
	}
	return queryAll(ctx, s.db, "list roles", scanRole, `SELECT `+roleCols+` FROM iam_roles WHERE account = $1 AND name_key > $2`+pathPrefixClause+` ORDER BY name_key LIMIT $5`,
		account, nameKey(after), len(pathPrefix), pathPrefix, limit)
}

// DeleteRole implements store.Store.
func (s *DB) DeleteRole(ctx context.Context, account, name string) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		if _, err := s.lockPrincipal(ctx, tx, store.PrincipalRole, account, name); err != nil {
			return err
		}
		var policies int64
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM iam_policies WHERE account = $1 AND owner_kind = $2 AND owner_key = $3`,
			account, store.PrincipalRole, nameKey(name)).Scan(&policies); err != nil {
			return fmt.Errorf("count policies of %s: %w", name, err)
		}
		if policies > 0 {
			return store.ErrPoliciesRemain
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM iam_roles WHERE account = $1 AND name_key = $2`, account, nameKey(name)); err != nil {
			return fmt.Errorf("delete role %s: %w", name, err)
		}
		return s.recordChange(ctx, tx, store.ChangeRole, account, "", nameKey(name))
	})
}

// TagPrincipal implements store.Store.
func (s *DB) TagPrincipal(ctx context.Context, kind, account, name string, tags []store.Tag, max int) error {
	table, change, err := principalTable(kind)
	if err != nil {
		return err
	}
	return s.tx(ctx, func(tx *sql.Tx) error {
		stored, err := s.lockPrincipal(ctx, tx, kind, account, name)
		if err != nil {
			return err
		}
		cur, err := decodeTags(stored, kind+" "+name)
		if err != nil {
			return err
		}
		for _, t := range tags {
			replaced := false
			for i := range cur {
				if cur[i].Key == t.Key {
					cur[i].Value, replaced = t.Value, true
					break
				}
			}
			if !replaced {
				cur = append(cur, t)
			}
		}
		if max > 0 && len(cur) > max {
			return store.ErrLimitExceeded
		}
		enc, err := encodeTags(cur)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE `+table+` SET tags = $1 WHERE account = $2 AND name_key = $3`, enc, account, nameKey(name)); err != nil {
			return fmt.Errorf("tag %s %s: %w", kind, name, err)
		}
		return s.recordChange(ctx, tx, change, account, "", nameKey(name))
	})
}

// PutPolicy implements store.Store.
func (s *DB) PutPolicy(ctx context.Context, p store.InlinePolicy, maxTotal int) error {
	_, change, err := principalTable(p.OwnerKind)
	if err != nil {
		return err
	}
	return s.tx(ctx, func(tx *sql.Tx) error {
		if _, err := s.lockPrincipal(ctx, tx, p.OwnerKind, p.Account, p.Owner); err != nil {
			return err
		}
		if maxTotal > 0 {
			var others int64
			if err := tx.QueryRowContext(ctx, `SELECT COALESCE(SUM(length(document)), 0) FROM iam_policies WHERE account = $1 AND owner_kind = $2 AND owner_key = $3 AND name <> $4`,
				p.Account, p.OwnerKind, nameKey(p.Owner), p.Name).Scan(&others); err != nil {
				return fmt.Errorf("size policies of %s: %w", p.Owner, err)
			}
			if others+int64(len(p.Document)) > int64(maxTotal) {
				return store.ErrLimitExceeded
			}
		}
		res, err := tx.ExecContext(ctx, `UPDATE iam_policies SET document = $1 WHERE account = $2 AND owner_kind = $3 AND owner_key = $4 AND name = $5`,
			p.Document, p.Account, p.OwnerKind, nameKey(p.Owner), p.Name)
		if err != nil {
			return fmt.Errorf("update policy %s: %w", p.Name, err)
		}
		n, err := affected(res)
		if err != nil {
			return err
		}
		if n == 0 {
			if _, err := tx.ExecContext(ctx, `INSERT INTO iam_policies (account, owner_kind, owner_key, name, document) VALUES ($1, $2, $3, $4, $5)`,
				p.Account, p.OwnerKind, nameKey(p.Owner), p.Name, p.Document); err != nil {
				return fmt.Errorf("insert policy %s: %w", p.Name, err)
			}
		}
		return s.recordChange(ctx, tx, change, p.Account, "", nameKey(p.Owner))
	})
}

// Policy implements store.Store.
func (s *DB) Policy(ctx context.Context, kind, account, owner, name string) (store.InlinePolicy, error) {
	p := store.InlinePolicy{Account: account, OwnerKind: kind, Owner: owner, Name: name}
	err := s.db.QueryRowContext(ctx, `SELECT document FROM iam_policies WHERE account = $1 AND owner_kind = $2 AND owner_key = $3 AND name = $4`,
		account, kind, nameKey(owner), name).Scan(&p.Document)
	if errors.Is(err, sql.ErrNoRows) {
		return store.InlinePolicy{}, store.ErrNotFound
	}
	if err != nil {
		return store.InlinePolicy{}, fmt.Errorf("read policy %s: %w", name, err)
	}
	return p, nil
}

// Policies implements store.Store.
func (s *DB) Policies(ctx context.Context, kind, account, owner string) ([]store.InlinePolicy, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT name, document FROM iam_policies WHERE account = $1 AND owner_kind = $2 AND owner_key = $3 ORDER BY name`,
		account, kind, nameKey(owner))
	if err != nil {
		return nil, fmt.Errorf("list policies: %w", err)
	}
	defer rows.Close()
	var out []store.InlinePolicy
	for rows.Next() {
		p := store.InlinePolicy{Account: account, OwnerKind: kind, Owner: owner}
		if err := rows.Scan(&p.Name, &p.Document); err != nil {
			return nil, fmt.Errorf("list policies: %w", err)
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// DeletePolicy implements store.Store.
func (s *DB) DeletePolicy(ctx context.Context, kind, account, owner, name string) error {
	_, change, err := principalTable(kind)
	if err != nil {
		return err
	}
	return s.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM iam_policies WHERE account = $1 AND owner_kind = $2 AND owner_key = $3 AND name = $4`,
			account, kind, nameKey(owner), name)
		if err != nil {
			return fmt.Errorf("delete policy %s: %w", name, err)
		}
		n, err := affected(res)
		if err != nil {
			return err
		}
		if n == 0 {
			return store.ErrNotFound
		}
		return s.recordChange(ctx, tx, change, account, "", nameKey(owner))
	})
}

// CreateAccessKey implements store.Store.
func (s *DB) CreateAccessKey(ctx context.Context, k store.AccessKey, maxPerOwner int) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		if k.UserName == "" {
			if err := s.accountExists(ctx, tx, k.AccountID); err != nil {
				return err
			}
		} else if _, err := s.lockPrincipal(ctx, tx, store.PrincipalUser, k.AccountID, k.UserName); err != nil {
			return err
		}
		if maxPerOwner > 0 {
			var n int64
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM access_keys WHERE account_id = $1 AND lower(user_name) = $2`,
				k.AccountID, nameKey(k.UserName)).Scan(&n); err != nil {
				return fmt.Errorf("count access keys: %w", err)
			}
			if n >= int64(maxPerOwner) {
				return store.ErrLimitExceeded
			}
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO access_keys (`+accessKeyCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
			k.ID, k.AccountID, k.PrincipalARN, k.WrappedSecret, b2i(k.Active), nanos(k.CreatedAt), k.UserName)
		if err != nil {
			return fmt.Errorf("insert access key %s: %w", k.ID, s.mapInsertErr(err))
		}
		return s.recordChange(ctx, tx, store.ChangeAccessKey, k.AccountID, "", k.ID)
	})
}

// SetAccessKeyActive implements store.Store.
func (s *DB) SetAccessKeyActive(ctx context.Context, account, id string, active bool) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE access_keys SET active = $1 WHERE account_id = $2 AND id = $3`, b2i(active), account, id)
		if err != nil {
			return fmt.Errorf("update access key %s: %w", id, err)
		}
		n, err := affected(res)
		if err != nil {
			return err
		}
		if n == 0 {
			return store.ErrNotFound
		}
		return s.recordChange(ctx, tx, store.ChangeAccessKey, account, "", id)
	})
}

// DeleteAccessKey implements store.Store.
func (s *DB) DeleteAccessKey(ctx context.Context, account, id string) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM access_keys WHERE account_id = $1 AND id = $2`, account, id)
		if err != nil {
			return fmt.Errorf("delete access key %s: %w", id, err)
		}
		n, err := affected(res)
		if err != nil {
			return err
		}
		if n == 0 {
			return store.ErrNotFound
		}
		return s.recordChange(ctx, tx, store.ChangeAccessKey, account, "", id)
	})
}

// UserAccessKeys implements store.Store.
func (s *DB) UserAccessKeys(ctx context.Context, account, userName string) ([]store.AccessKey, error) {
	return queryAll(ctx, s.db, "list access keys", scanAccessKey, `SELECT `+accessKeyCols+` FROM access_keys WHERE account_id = $1 AND lower(user_name) = $2 ORDER BY created_at, id`,
		account, nameKey(userName))
}
