package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/trentkms/trent/internal/store"
)

// Principal bindings (store.Principals) are stored as a JSON object, ""
// for none.

func encodePrincipals(p store.Principals) (string, error) {
	if len(p) == 0 {
		return "", nil
	}
	b, err := json.Marshal(p)
	if err != nil {
		return "", fmt.Errorf("encode principals: %w", err)
	}
	return string(b), nil
}

func decodePrincipals(s string) (store.Principals, error) {
	if s == "" {
		return nil, nil
	}
	var p store.Principals
	if err := json.Unmarshal([]byte(s), &p); err != nil {
		return nil, err
	}
	return p, nil
}

// goSteps are the migration steps written in Go (see migrations).
var goSteps = map[string]func(ctx context.Context, tx *sql.Tx) error{
	"bind-principals": bindPrincipals,
}

// bindPrincipals binds the key policies, role trust policies and grants
// that earlier releases wrote, which named principals by ARN alone, to
// the unique IDs of the principals those ARNs name now. An ARN is bound
// when it is exactly the ARN of an existing user or role, or a session
// ARN (arn:aws:sts::ACCT:assumed-role/ROLE/SESSION) of an existing role
// named exactly ROLE: the ARNs those releases matched a caller by. Any
// other ARN stays unbound and names no one (store.Principals).
func bindPrincipals(ctx context.Context, tx *sql.Tx) error {
	ids := map[string]string{}   // user or role ARN -> unique ID
	roles := map[string]string{} // account/role name -> unique ID
	type idRow struct{ account, name, arn, id string }
	for _, table := range []string{"iam_users", "iam_roles"} {
		rows, err := queryAll(ctx, tx, "bind principals: read "+table, func(sc scanner) (idRow, error) {
			var r idRow
			err := sc.Scan(&r.account, &r.name, &r.arn, &r.id)
			return r, err
		}, `SELECT account, name, arn, id FROM `+table)
		if err != nil {
			return err
		}
		for _, r := range rows {
			ids[r.arn] = r.id
			if table == "iam_roles" {
				roles[r.account+"/"+r.name] = r.id
			}
		}
	}
	resolve := func(arn string) string {
		if id, ok := ids[arn]; ok {
			return id
		}
		rest, ok := strings.CutPrefix(arn, "arn:aws:sts::")
		if !ok {
			return ""
		}
		account, res, ok := strings.Cut(rest, ":")
		if !ok {
			return ""
		}
		res, ok = strings.CutPrefix(res, "assumed-role/")
		role, session, ok2 := strings.Cut(res, "/")
		if !ok || !ok2 || session == "" || strings.Contains(session, "/") {
			return ""
		}
		return roles[account+"/"+role]
	}
	bind := func(doc string) (string, error) {
		p := store.Principals{}
		for _, arn := range principalARNs(doc) {
			if id := resolve(arn); id != "" {
				p[arn] = id
			}
		}
		return encodePrincipals(p)
	}

	type docRow struct{ a, b, c, doc string }
	keys, err := queryAll(ctx, tx, "bind principals: read keys", func(sc scanner) (docRow, error) {
		var r docRow
		err := sc.Scan(&r.a, &r.b, &r.c, &r.doc)
		return r, err
	}, `SELECT account, region, id, policy FROM keys`)
	if err != nil {
		return err
	}
	for _, k := range keys {
		enc, err := bind(k.doc)
		if err != nil {
			return err
		}
		if enc == "" {
			continue
		}
		if _, err := tx.ExecContext(ctx, `UPDATE keys SET policy_principals = $1 WHERE account = $2 AND region = $3 AND id = $4`,
			enc, k.a, k.b, k.c); err != nil {
			return fmt.Errorf("bind principals of key %s: %w", k.c, err)
		}
	}
	rs, err := queryAll(ctx, tx, "bind principals: read roles", func(sc scanner) (docRow, error) {
		var r docRow
		err := sc.Scan(&r.a, &r.b, &r.doc)
		return r, err
	}, `SELECT account, name_key, trust_policy FROM iam_roles`)
	if err != nil {
		return err
	}
	for _, r := range rs {
		enc, err := bind(r.doc)
		if err != nil {
			return err
		}
		if enc == "" {
			continue
		}
		if _, err := tx.ExecContext(ctx, `UPDATE iam_roles SET trust_principals = $1 WHERE account = $2 AND name_key = $3`,
			enc, r.a, r.b); err != nil {
			return fmt.Errorf("bind principals of role %s: %w", r.b, err)
		}
	}
	gs, err := queryAll(ctx, tx, "bind principals: read grants", scanGrant, `SELECT `+grantCols+` FROM grants`)
	if err != nil {
		return err
	}
	for _, g := range gs {
		grantee, retiring := resolve(g.GranteePrincipal), resolve(g.RetiringPrincipal)
		if grantee == "" && retiring == "" {
			continue
		}
		if _, err := tx.ExecContext(ctx, `UPDATE grants SET grantee_id = $1, retiring_id = $2 WHERE account = $3 AND region = $4 AND key_id = $5 AND id = $6`,
			grantee, retiring, g.Account, g.Region, g.KeyID, g.ID); err != nil {
			return fmt.Errorf("bind principals of grant %s: %w", g.ID, err)
		}
	}
	return nil
}

// principalARNs returns the "AWS" principal values of a policy document's
// Principal and NotPrincipal elements, in the grammar internal/policy
// parses: Statement is an object or an array of objects, Principal an
// object whose AWS member is a string or an array of strings. It returns
// none for a document that is not that shape (a stored document that no
// longer parses names no one anyway).
func principalARNs(doc string) []string {
	var d struct{ Statement json.RawMessage }
	if json.Unmarshal([]byte(doc), &d) != nil || len(d.Statement) == 0 {
		return nil
	}
	type stmt struct{ Principal, NotPrincipal json.RawMessage }
	var stmts []stmt
	if json.Unmarshal(d.Statement, &stmts) != nil {
		var one stmt
		if json.Unmarshal(d.Statement, &one) != nil {
			return nil
		}
		stmts = []stmt{one}
	}
	var out []string
	for _, st := range stmts {
		for _, el := range []json.RawMessage{st.Principal, st.NotPrincipal} {
			var p struct{ AWS json.RawMessage }
			if len(el) == 0 || json.Unmarshal(el, &p) != nil || len(p.AWS) == 0 {
				continue
			}
			var many []string
			if json.Unmarshal(p.AWS, &many) == nil {
				out = append(out, many...)
				continue
			}
			var one string
			if json.Unmarshal(p.AWS, &one) == nil {
				out = append(out, one)
			}
		}
	}
	return out
}
