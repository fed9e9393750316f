package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/trentkms/trent/internal/store"
)

// migrations[i] brings the schema from version i to i+1. Each is a list of
// statements separated by ";" in which {{text}} and {{blob}} stand for the
// dialect's column types; a statement "{{go:NAME}}" runs goSteps[NAME] in
// the migration's transaction, for a change of data that SQL cannot
// express. Published migrations are never edited; a change is a new entry.
var migrations = []string{
	`CREATE TABLE domain (
		id INTEGER PRIMARY KEY,
		wrapped_key {{blob}} NOT NULL,
		key_check {{blob}} NOT NULL,
		seal_type {{text}} NOT NULL,
		created_at BIGINT NOT NULL
	);
	CREATE TABLE accounts (
		id {{text}} PRIMARY KEY,
		created_at BIGINT NOT NULL,
		pending_credentials BIGINT NOT NULL DEFAULT 0
	);
	CREATE TABLE access_keys (
		id {{text}} PRIMARY KEY,
		account_id {{text}} NOT NULL REFERENCES accounts (id),
		principal_arn {{text}} NOT NULL,
		wrapped_secret {{blob}} NOT NULL,
		active BIGINT NOT NULL,
		created_at BIGINT NOT NULL
	);
	CREATE INDEX access_keys_account ON access_keys (account_id);
	CREATE TABLE keys (
		account {{text}} NOT NULL,
		region {{text}} NOT NULL,
		id {{text}} NOT NULL,
		version BIGINT NOT NULL,
		created_at BIGINT NOT NULL,
		description {{text}} NOT NULL,
		key_spec {{text}} NOT NULL,
		key_usage {{text}} NOT NULL,
		origin {{text}} NOT NULL,
		state {{text}} NOT NULL,
		multi_region BIGINT NOT NULL,
		deletion_date BIGINT NOT NULL,
		policy {{text}} NOT NULL,
		tags {{text}} NOT NULL,
		current_material BIGINT NOT NULL,
		PRIMARY KEY (account, region, id)
	);
	CREATE TABLE key_materials (
		account {{text}} NOT NULL,
		region {{text}} NOT NULL,
		key_id {{text}} NOT NULL,
		version BIGINT NOT NULL,
		material_id {{text}} NOT NULL,
		wrapped {{blob}} NOT NULL,
		created_at BIGINT NOT NULL,
		PRIMARY KEY (account, region, key_id, version),
		FOREIGN KEY (account, region, key_id) REFERENCES keys (account, region, id) ON DELETE CASCADE
	);
	CREATE TABLE aliases (
		account {{text}} NOT NULL,
		region {{text}} NOT NULL,
		name {{text}} NOT NULL,
		target_key_id {{text}} NOT NULL,
		version BIGINT NOT NULL,
		created_at BIGINT NOT NULL,
		updated_at BIGINT NOT NULL,
		PRIMARY KEY (account, region, name)
	);
	CREATE INDEX aliases_target ON aliases (account, region, target_key_id);`,
	`CREATE TABLE changes (
		seq {{serial}},
		at BIGINT NOT NULL,
		kind {{text}} NOT NULL,
		account {{text}} NOT NULL,
		region {{text}} NOT NULL,
		name {{text}} NOT NULL
	);
	CREATE INDEX changes_at ON changes (at);`,
	// Key rotation (issue 6): the automatic-rotation schedule and the
	// on-demand count on the key, how each material came to be on the
	// material ('' for a key's first material).
	`ALTER TABLE keys ADD COLUMN rotation_enabled BIGINT NOT NULL DEFAULT 0;
	ALTER TABLE keys ADD COLUMN rotation_period_days BIGINT NOT NULL DEFAULT 0;
	ALTER TABLE keys ADD COLUMN next_rotation BIGINT NOT NULL DEFAULT 0;
	ALTER TABLE keys ADD COLUMN on_demand_rotations BIGINT NOT NULL DEFAULT 0;
	ALTER TABLE key_materials ADD COLUMN rotation_type {{text}} NOT NULL DEFAULT '';
	CREATE INDEX keys_next_rotation ON keys (next_rotation);`,
	// Scheduled deletion (issue 6): DueKeys finds keys whose waiting
	// period has ended.
	`CREATE INDEX keys_deletion_date ON keys (deletion_date);`,
	// Imported key material (issue 6): the expiration model and date of a
	// key's imported material, and the KeyMaterialId of the material it was
	// given, kept after DeleteImportedKeyMaterial so that only the same
	// material can be imported again.
	`ALTER TABLE keys ADD COLUMN expiration_model {{text}} NOT NULL DEFAULT '';
	ALTER TABLE keys ADD COLUMN valid_to BIGINT NOT NULL DEFAULT 0;
	ALTER TABLE keys ADD COLUMN imported_material_id {{text}} NOT NULL DEFAULT '';`,
	// Grants (issue 7). Operations and constraints are JSON: they are read
	// and written whole, never queried.
	`CREATE TABLE grants (
		account {{text}} NOT NULL,
		region {{text}} NOT NULL,
		key_id {{text}} NOT NULL,
		id {{text}} NOT NULL,
		name {{text}} NOT NULL,
		grantee {{text}} NOT NULL,
		retiring {{text}} NOT NULL,
		issuing_account {{text}} NOT NULL,
		operations {{text}} NOT NULL,
		constraints {{text}} NOT NULL,
		created_at BIGINT NOT NULL,
		PRIMARY KEY (account, region, key_id, id)
	);
	CREATE INDEX grants_retiring ON grants (retiring, account, region, key_id, id);`,
	// IAM identities (issue 7): users, roles and their inline policies;
	// access keys name the user they belong to ('' for the account root).
	// name_key and owner_key are the lower-cased names, which are unique
	// per account as in AWS.
	`ALTER TABLE access_keys ADD COLUMN user_name {{text}} NOT NULL DEFAULT '';
	CREATE INDEX access_keys_user ON access_keys (account_id, user_name);
	CREATE TABLE iam_users (
		account {{text}} NOT NULL REFERENCES accounts (id),
		name_key {{text}} NOT NULL,
		name {{text}} NOT NULL,
		path {{text}} NOT NULL,
		id {{text}} NOT NULL UNIQUE,
		arn {{text}} NOT NULL,
		created_at BIGINT NOT NULL,
		tags {{text}} NOT NULL,
		PRIMARY KEY (account, name_key)
	);
	CREATE TABLE iam_roles (
		account {{text}} NOT NULL REFERENCES accounts (id),
		name_key {{text}} NOT NULL,
		name {{text}} NOT NULL,
		path {{text}} NOT NULL,
		id {{text}} NOT NULL UNIQUE,
		arn {{text}} NOT NULL,
		description {{text}} NOT NULL,
		trust_policy {{text}} NOT NULL,
		max_session_duration BIGINT NOT NULL,
		created_at BIGINT NOT NULL,
		tags {{text}} NOT NULL,
		PRIMARY KEY (account, name_key)
	);
	CREATE TABLE iam_policies (
		account {{text}} NOT NULL,
		owner_kind {{text}} NOT NULL,
		owner_key {{text}} NOT NULL,
		name {{text}} NOT NULL,
		document {{text}} NOT NULL,
		PRIMARY KEY (account, owner_kind, owner_key, name)
	);`,
	// The audit log (issue 8): one hash chain per deployment. seq is
	// assigned by the appender (dense, 1..n), not by the engine: under the
	// lock of the one-row audit_head on PostgreSQL, under SQLite's single
	// writer there. The query columns are derived from the event. There is
	// no index on the time: seq follows time, and QueryAudit bounds a time
	// range by a binary search on seq, which keeps the append to one
	// B-tree. Digests and the checkpoint carry MACs under a key derived
	// from the root of trust.
	`CREATE TABLE audit_events (
		seq {{int64key}},
		at BIGINT NOT NULL,
		account {{text}} NOT NULL,
		event_name {{text}} NOT NULL,
		key_arns {{text}} NOT NULL,
		principal {{text}} NOT NULL,
		error_code {{text}} NOT NULL,
		event {{blob}} NOT NULL,
		prev_hash {{blob}} NOT NULL,
		hash {{blob}} NOT NULL
	);
	CREATE TABLE audit_head (
		id INTEGER PRIMARY KEY,
		seq BIGINT NOT NULL,
		hash {{blob}} NOT NULL
	);
	INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '');
	CREATE TABLE audit_digests (
		id {{serial}},
		from_seq BIGINT NOT NULL,
		to_seq BIGINT NOT NULL,
		hash {{blob}} NOT NULL,
		at BIGINT NOT NULL,
		mac {{blob}} NOT NULL
	);
	CREATE TABLE audit_checkpoint (
		id INTEGER PRIMARY KEY,
		seq BIGINT NOT NULL,
		hash {{blob}} NOT NULL,
		at BIGINT NOT NULL,
		mac {{blob}} NOT NULL
	);`,
	// Imported key material rotated on demand (issue 6): each material
	// carries its own import fields (pending rotation, description,
	// expiration); a deleted imported material keeps its row with empty
	// bytes. The expiration of the one material of existing EXTERNAL keys
	// moves from the key to it, and an EXTERNAL key whose material was
	// deleted gets that material's row back, empty, as version 1. A key's
	// KeyMaterialIds are unique.
	`ALTER TABLE key_materials ADD COLUMN pending BIGINT NOT NULL DEFAULT 0;
	ALTER TABLE key_materials ADD COLUMN description {{text}} NOT NULL DEFAULT '';
	ALTER TABLE key_materials ADD COLUMN expiration_model {{text}} NOT NULL DEFAULT '';
	ALTER TABLE key_materials ADD COLUMN valid_to BIGINT NOT NULL DEFAULT 0;
	UPDATE key_materials SET
		expiration_model = (SELECT k.expiration_model FROM keys k WHERE k.account = key_materials.account AND k.region = key_materials.region AND k.id = key_materials.key_id),
		valid_to = (SELECT k.valid_to FROM keys k WHERE k.account = key_materials.account AND k.region = key_materials.region AND k.id = key_materials.key_id)
		WHERE EXISTS (SELECT 1 FROM keys k WHERE k.account = key_materials.account AND k.region = key_materials.region AND k.id = key_materials.key_id AND k.origin = 'EXTERNAL');
	INSERT INTO key_materials (account, region, key_id, version, material_id, wrapped, created_at, rotation_type)
		SELECT account, region, id, 1, imported_material_id, {{emptyblob}}, created_at, '' FROM keys
		WHERE origin = 'EXTERNAL' AND imported_material_id <> '' AND current_material = 0
		AND NOT EXISTS (SELECT 1 FROM key_materials m WHERE m.account = keys.account AND m.region = keys.region AND m.key_id = keys.id);
	CREATE UNIQUE INDEX key_materials_id ON key_materials (account, region, key_id, material_id);
	CREATE INDEX key_materials_valid_to ON key_materials (valid_to);`,
	// Batch rows (audit.EncodeBatch): on SQLite an append of several
	// events is one row holding n of them, seq being the last one's.
	`ALTER TABLE audit_events ADD COLUMN n INTEGER NOT NULL DEFAULT 1;`,
	// Principals bound to their unique IDs (store.Principals): key
	// policies and role trust policies keep the unique ID of each user,
	// role and role session they name, grants those of their grantee and
	// retiring principal. The Go step binds what earlier releases wrote to
	// the principals that exist now (bindPrincipals); an ARN of a principal
	// deleted before the upgrade stays unbound and names no one.
	`ALTER TABLE keys ADD COLUMN policy_principals {{text}} NOT NULL DEFAULT '';
	ALTER TABLE iam_roles ADD COLUMN trust_principals {{text}} NOT NULL DEFAULT '';
	ALTER TABLE grants ADD COLUMN grantee_id {{text}} NOT NULL DEFAULT '';
	ALTER TABLE grants ADD COLUMN retiring_id {{text}} NOT NULL DEFAULT '';
	{{go:bind-principals}}`,
	// Installations (store.Installation): the installation ID, which the
	// data directory's marker file repeats, and the regions served, in
	// the domain record. '' in a database of an earlier release, until a
	// start of this one gives it an ID and records its regions.
	`ALTER TABLE domain ADD COLUMN installation_id {{text}} NOT NULL DEFAULT '';
	ALTER TABLE domain ADD COLUMN regions {{text}} NOT NULL DEFAULT '';`,
	// Chained audit digests (docs/audit.md, "Digests"): a digest names the
	// MAC of the one before it (prev_mac; NULL in the unchained digests of
	// earlier releases, which stay as they are) and records its writer's
	// schedule; a unique prev_mac keeps the digests of every process one
	// chain. The checkpoint names the digest that the first one it keeps
	// is chained to and its schedule (link_mac NULL in an earlier
	// release's checkpoint).
	`ALTER TABLE audit_digests ADD COLUMN prev_mac {{blob}};
	ALTER TABLE audit_digests ADD COLUMN digest_every BIGINT NOT NULL DEFAULT 0;
	ALTER TABLE audit_digests ADD COLUMN digest_interval BIGINT NOT NULL DEFAULT 0;
	CREATE UNIQUE INDEX audit_digests_prev ON audit_digests (prev_mac);
	CREATE INDEX audit_digests_to ON audit_digests (to_seq);
	ALTER TABLE audit_checkpoint ADD COLUMN link_seq BIGINT NOT NULL DEFAULT 0;
	ALTER TABLE audit_checkpoint ADD COLUMN link_mac {{blob}};
	ALTER TABLE audit_checkpoint ADD COLUMN link_every BIGINT NOT NULL DEFAULT 0;`,
}

// SchemaVersion returns the schema version this binary writes.
func SchemaVersion() int { return len(migrations) }

// migrate brings the schema up to SchemaVersion in one transaction, under
// the dialect's lock, so that several processes opening one database at
// once apply each migration exactly once.
func (s *DB) migrate(ctx context.Context) error {
	if s.d.Lock != nil {
		release, err := s.d.Lock(ctx, s.db)
		if err != nil {
			return fmt.Errorf("take migration lock: %w", err)
		}
		defer release()
	}
	// {{int64key}} is a 64-bit integer primary key the application
	// assigns: on SQLite the rowid itself (INTEGER PRIMARY KEY, without
	// AUTOINCREMENT's bookkeeping table).
	int64Key := "BIGINT PRIMARY KEY"
	if s.d.Name == "sqlite" {
		int64Key = "INTEGER PRIMARY KEY"
	}
	// {{emptyblob}} is a zero-length value of the blob type.
	emptyBlob := "''::bytea"
	if s.d.Name == "sqlite" {
		emptyBlob = "X''"
	}
	types := strings.NewReplacer("{{text}}", s.d.Text, "{{blob}}", s.d.Blob, "{{serial}}", s.d.Serial, "{{int64key}}", int64Key, "{{emptyblob}}", emptyBlob)
	return s.rawTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_version (version BIGINT NOT NULL)`); err != nil {
			return fmt.Errorf("create schema_version: %w", err)
		}
		var v int
		err := tx.QueryRowContext(ctx, `SELECT version FROM schema_version`).Scan(&v)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			if _, err := tx.ExecContext(ctx, `INSERT INTO schema_version (version) VALUES (0)`); err != nil {
				return fmt.Errorf("init schema_version: %w", err)
			}
		case err != nil:
			return fmt.Errorf("read schema version: %w", err)
		}
		if v > len(migrations) {
			return fmt.Errorf("%w: database has schema %d, this binary knows %d", store.ErrSchemaTooNew, v, len(migrations))
		}
		if v == len(migrations) {
			return nil
		}
		for i := v; i < len(migrations); i++ {
			for _, stmt := range strings.Split(types.Replace(migrations[i]), ";") {
				if strings.TrimSpace(stmt) == "" {
					continue
				}
				if name, ok := strings.CutPrefix(strings.TrimSpace(stmt), "{{go:"); ok {
					step := goSteps[strings.TrimSuffix(name, "}}")]
					if step == nil {
						return fmt.Errorf("migration %d: unknown step %s", i+1, stmt)
					}
					if err := step(ctx, tx); err != nil {
						return fmt.Errorf("migration %d: %w", i+1, err)
					}
					continue
				}
				if _, err := tx.ExecContext(ctx, stmt); err != nil {
					return fmt.Errorf("migration %d: %w", i+1, err)
				}
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE schema_version SET version = $1`, len(migrations)); err != nil {
			return fmt.Errorf("write schema version: %w", err)
		}
		return nil
	})
}
