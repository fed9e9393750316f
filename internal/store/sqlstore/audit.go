package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/trentkms/trent/internal/audit"
)

// The audit chain. Every append reads the chain head under a lock and
// extends it, so processes sharing a database extend one chain and
// sequence numbers are dense and in commit order. On PostgreSQL the lock
// is SELECT ... FOR UPDATE on the one-row audit_head, which the append
// then updates. On SQLite write transactions are serialised already
// (BEGIN IMMEDIATE), and the head is read from the last event instead:
// updating a head row would add a page to every commit.

const auditCols = `seq, at, account, event_name, key_arns, principal, error_code, event, prev_hash, hash`

// auditSelectCols are the columns read back: auditCols and the number of
// events in the row (1, or more for a batch row).
const auditSelectCols = auditCols + `, n`

// sqlBatchInsert inserts a batch row (audit.EncodeBatch): its query
// columns are empty, since its events are filtered when it is read.
const sqlBatchInsert = `INSERT INTO audit_events (` + auditCols + `, n) VALUES ($1, $2, '', '', '', '', '', $3, $4, $5, $6)`

// batchRows reports whether an append of several events is one row. It is
// SQLite's: there a row costs a B-tree insert and its pages in the
// pure-Go driver, which is what bounds audited throughput; PostgreSQL
// keeps a row per event.
func (s *DB) batchRows() bool { return s.d.Name == "sqlite" }

// auditInsertRows is the most rows one INSERT statement carries.
const auditInsertRows = 64

type auditStmtKey struct {
	rows int    // an INSERT of this many rows, or 0 for the statement named by sql
	sql  string // a fixed statement
}

// auditInsert returns the INSERT of n rows. SQLite gets anonymous ?
// placeholders: it resolves each numbered $N by a linear search of the
// names seen so far, which makes a statement with hundreds of them
// spend most of its time parsing.
func (s *DB) auditInsert(n int) string {
	question := s.d.Name == "sqlite"
	var b strings.Builder
	b.WriteString(`INSERT INTO audit_events (` + auditCols + `) VALUES `)
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('(')
		for j := 0; j < 10; j++ {
			if j > 0 {
				b.WriteByte(',')
			}
			if question {
				b.WriteByte('?')
			} else {
				b.WriteByte('$')
				b.WriteString(strconv.Itoa(i*10 + j + 1))
			}
		}
		b.WriteByte(')')
	}
	return b.String()
}

// auditStmt returns a prepared statement: the INSERT of rows rows, or
// query. database/sql prepares it once per connection and reuses it
// inside transactions.
func (s *DB) auditStmt(ctx context.Context, rows int, query string) (*sql.Stmt, error) {
	k := auditStmtKey{rows, query}
	if st, ok := s.auditStmts.Load(k); ok {
		return st.(*sql.Stmt), nil
	}
	if rows > 0 {
		query = s.auditInsert(rows)
	}
	st, err := s.db.PrepareContext(ctx, query)
	if err != nil {
		return nil, fmt.Errorf("prepare audit statement: %w", err)
	}
	if prev, loaded := s.auditStmts.LoadOrStore(k, st); loaded {
		st.Close()
		return prev.(*sql.Stmt), nil
	}
	return st, nil
}

const (
	sqlHeadForUpdate = `SELECT seq, hash FROM audit_head WHERE id = 1 FOR UPDATE`
	sqlHeadUpdate    = `UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1`
	sqlLastEvent     = `SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1`
)

// headRow reports whether the engine keeps the head in audit_head.
func (s *DB) headRow() bool { return s.d.Name != "sqlite" }

// readHead reads the chain head inside tx (under the lock on PostgreSQL).
func (s *DB) readHead(ctx context.Context, q interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}, lock bool) (audit.Head, error) {
	var head audit.Head
	query := sqlLastEvent
	if s.headRow() {
		query = `SELECT seq, hash FROM audit_head WHERE id = 1`
		if lock {
			query = sqlHeadForUpdate
		}
	}
	err := q.QueryRowContext(ctx, query).Scan(&head.Seq, &head.Hash)
	if errors.Is(err, sql.ErrNoRows) && !s.headRow() {
		// No event: the chain is empty or pruned to its checkpoint.
		var c audit.Checkpoint
		err = q.QueryRowContext(ctx, `SELECT seq, hash FROM audit_checkpoint WHERE id = 1`).Scan(&c.Seq, &c.Hash)
		if errors.Is(err, sql.ErrNoRows) {
			return audit.Head{}, nil
		}
		head = audit.Head{Seq: c.Seq, Hash: c.Hash}
	}
	if err != nil {
		return audit.Head{}, fmt.Errorf("read audit head: %w", err)
	}
	if head.Seq == 0 {
		head.Hash = nil
	}
	return head, nil
}

// prepareAudit prepares, outside any transaction, the statements an
// append of n events uses: preparing them inside one would take a second
// connection from the pool while the transaction holds the head's lock,
// which deadlocks once every connection is a transaction waiting for it.
func (s *DB) prepareAudit(ctx context.Context, n int) error {
	queries := []string{sqlLastEvent}
	if s.headRow() {
		queries = []string{sqlHeadForUpdate, sqlHeadUpdate}
	}
	for _, q := range queries {
		if _, err := s.auditStmt(ctx, 0, q); err != nil {
			return err
		}
	}
	if n > 1 && s.batchRows() {
		if _, err := s.auditStmt(ctx, 0, sqlBatchInsert); err != nil {
			return err
		}
		if n%audit.MaxBatchEvents != 1 {
			return nil
		}
		n = 1 // the single event left over
	}
	if n >= auditInsertRows {
		if _, err := s.auditStmt(ctx, auditInsertRows, ""); err != nil {
			return err
		}
	}
	if n%auditInsertRows > 0 {
		if _, err := s.auditStmt(ctx, n%auditInsertRows, ""); err != nil {
			return err
		}
	}
	return nil
}

// appendAudit links evs to the head and inserts them inside tx. The
// caller has called prepareAudit(len(evs)) first.
func (s *DB) appendAudit(ctx context.Context, tx *sql.Tx, evs []*audit.Event) (audit.Head, error) {
	var head audit.Head
	if s.headRow() {
		st, err := s.auditStmt(ctx, 0, sqlHeadForUpdate)
		if err != nil {
			return audit.Head{}, err
		}
		err = tx.StmtContext(ctx, st).QueryRowContext(ctx).Scan(&head.Seq, &head.Hash)
		if err != nil {
			return audit.Head{}, fmt.Errorf("read audit head: %w", err)
		}
	} else {
		st, err := s.auditStmt(ctx, 0, sqlLastEvent)
		if err != nil {
			return audit.Head{}, err
		}
		err = tx.StmtContext(ctx, st).QueryRowContext(ctx).Scan(&head.Seq, &head.Hash)
		if errors.Is(err, sql.ErrNoRows) {
			head, err = s.readHead(ctx, tx, true)
		}
		if err != nil {
			return audit.Head{}, fmt.Errorf("read audit head: %w", err)
		}
	}
	if len(head.Hash) == 0 {
		head.Hash = audit.Genesis
	}
	if len(evs) > 1 && s.batchRows() {
		st, err := s.auditStmt(ctx, 0, sqlBatchInsert)
		if err != nil {
			return audit.Head{}, err
		}
		for len(evs) > 1 { // a single event left over is a row of its own
			k := min(len(evs), audit.MaxBatchEvents)
			stored, latest, last := audit.EncodeBatch(evs[:k], head)
			if _, err := tx.StmtContext(ctx, st).ExecContext(ctx, last.Seq, nanos(latest), stored, head.Hash, last.Hash, k); err != nil {
				return audit.Head{}, fmt.Errorf("insert audit events: %w", err)
			}
			head, evs = last, evs[k:]
		}
		if len(evs) == 0 {
			return head, nil
		}
	}
	args := make([]any, 0, 10*min(len(evs), auditInsertRows))
	for start := 0; start < len(evs); {
		n := min(len(evs)-start, auditInsertRows)
		args = args[:0]
		for _, ev := range evs[start : start+n] {
			r := audit.NewRecord(ev, head.Seq+1, head.Hash)
			args = append(args, r.Seq, nanos(r.Time), r.Account, r.EventName, r.KeyARNs, r.Principal, r.ErrorCode, r.Stored, r.PrevHash, r.Hash)
			head = audit.Head{Seq: r.Seq, Hash: r.Hash}
		}
		stmt, err := s.auditStmt(ctx, n, "")
		if err != nil {
			return audit.Head{}, err
		}
		if _, err := tx.StmtContext(ctx, stmt).ExecContext(ctx, args...); err != nil {
			return audit.Head{}, fmt.Errorf("insert audit events: %w", err)
		}
		start += n
	}
	if s.headRow() {
		st, err := s.auditStmt(ctx, 0, sqlHeadUpdate)
		if err != nil {
			return audit.Head{}, err
		}
		if _, err := tx.StmtContext(ctx, st).ExecContext(ctx, head.Seq, head.Hash); err != nil {
			return audit.Head{}, fmt.Errorf("update audit head: %w", err)
		}
	}
	return head, nil
}

// auditTimeSlack is how far an event's time may be from the times of its
// neighbours in the chain: eventTime is when the request arrived, and a
// request lasts at most the server's write timeout (30 s) before its
// event is appended.
const auditTimeSlack = 2 * time.Minute

// seqFrom returns a sequence number before which no event has a time at
// or after t (0 when there is none): a binary search on seq, widened by
// auditTimeSlack, since times follow seq only that closely.
func (s *DB) seqFrom(ctx context.Context, t time.Time) (int64, error) {
	var lo, hi int64
	err := s.db.QueryRowContext(ctx, `SELECT COALESCE(MIN(seq - n + 1), 0), COALESCE(MAX(seq), 0) FROM audit_events`).Scan(&lo, &hi)
	if err != nil || hi == 0 {
		return 0, err
	}
	target := nanos(t.Add(-auditTimeSlack))
	// Find the first seq whose time is at or after target; seq may have
	// gaps (a damaged log), so each probe takes the next existing row.
	for lo < hi {
		mid := lo + (hi-lo)/2
		var seq, at int64
		err := s.db.QueryRowContext(ctx, `SELECT seq, at FROM audit_events WHERE seq >= $1 ORDER BY seq LIMIT 1`, mid).Scan(&seq, &at)
		if err != nil {
			return 0, fmt.Errorf("search audit events by time: %w", err)
		}
		if at >= target {
			hi = mid
		} else {
			lo = seq + 1
		}
	}
	return lo, nil
}

// AppendAudit implements audit.Log.
func (s *DB) AppendAudit(ctx context.Context, evs []*audit.Event) (audit.Head, error) {
	var head audit.Head
	if err := s.prepareAudit(ctx, len(evs)); err != nil {
		return audit.Head{}, err
	}
	if s.batchRows() {
		s.auditMu.Lock()
		defer s.auditMu.Unlock()
	}
	if head, ok, err := s.appendDeferred(ctx, evs); ok {
		return head, err
	}
	err := s.rawTx(ctx, func(tx *sql.Tx) error {
		var err error
		head, err = s.appendAudit(ctx, tx, evs)
		return err
	})
	return head, err
}

// AuditHead implements audit.Log.
func (s *DB) AuditHead(ctx context.Context) (audit.Head, error) {
	return s.readHead(ctx, s.db, false)
}

// auditPage is what one query of audit rows read: their events (a batch
// row's in the query's order), the number of rows, and the cursor past
// them: the largest sequence number read (ascending) or the smallest
// (descending).
type auditPage struct {
	recs   []audit.Record
	rows   int
	cursor int64
}

func scanAudit(rows *sql.Rows, desc bool) (auditPage, error) {
	defer rows.Close()
	var p auditPage
	for rows.Next() {
		var r audit.Record
		var at, n int64
		var stored []byte
		if err := rows.Scan(&r.Seq, &at, &r.Account, &r.EventName, &r.KeyARNs, &r.Principal, &r.ErrorCode, &stored, &r.PrevHash, &r.Hash, &n); err != nil {
			return auditPage{}, fmt.Errorf("read audit events: %w", err)
		}
		p.rows++
		n = max(n, 1) // a damaged count reads as a single event, which fails to verify
		first := r.Seq - n + 1
		if p.rows == 1 || !desc && r.Seq > p.cursor || desc && first < p.cursor {
			p.cursor = r.Seq
			if desc {
				p.cursor = first
			}
		}
		if n > 1 {
			recs, err := audit.DecodeBatch(stored, r.Seq, int(n), r.PrevHash, r.Hash)
			if err != nil {
				// A damaged batch is returned as one record at its first
				// sequence number, holding the stored bytes: its hash
				// does not match, which verification reports there.
				p.recs = append(p.recs, audit.Record{Seq: first, Time: fromNanos(at), Event: stored, PrevHash: r.PrevHash, Hash: r.Hash})
				continue
			}
			if desc {
				slices.Reverse(recs)
			}
			p.recs = append(p.recs, recs...)
			continue
		}
		var err error
		if r.Event, err = audit.Decompress(stored); err != nil {
			// A damaged row is still returned, as its stored bytes: its
			// hash does not match them, which verification reports at
			// this event instead of failing the whole read.
			r.Event = stored
		}
		r.Time = fromNanos(at)
		p.recs = append(p.recs, r)
	}
	if err := rows.Err(); err != nil {
		return auditPage{}, fmt.Errorf("read audit events: %w", err)
	}
	return p, nil
}

// AuditRecords implements audit.Log.
func (s *DB) AuditRecords(ctx context.Context, after int64, limit int) ([]audit.Record, error) {
	return auditRecords(ctx, s.db, after, limit)
}

// rowQuerier is what the audit log's reads run on: the pool, or the read
// transaction of a snapshot (AuditSnapshot).
type rowQuerier interface {
	querier
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func auditRecords(ctx context.Context, q rowQuerier, after int64, limit int) ([]audit.Record, error) {
	if err := checkLimit(limit); err != nil {
		return nil, err
	}
	rows, err := q.QueryContext(ctx, `SELECT `+auditSelectCols+` FROM audit_events WHERE seq > $1 ORDER BY seq LIMIT $2`, after, limit)
	if err != nil {
		return nil, fmt.Errorf("read audit events: %w", err)
	}
	p, err := scanAudit(rows, false)
	if err != nil {
		return nil, err
	}
	// A batch row may start at or before after, and hold more than limit.
	out := p.recs[:0]
	for _, r := range p.recs {
		if r.Seq > after && len(out) < limit {
			out = append(out, r)
		}
	}
	return out, nil
}

// QueryAudit implements audit.Log. Conditions on a row's columns select
// single events; a batch row (n > 1) is read whole and its events are
// kept by auditMatches, which every record passes through, so that the
// answer is exact either way.
func (s *DB) QueryAudit(ctx context.Context, q audit.Query) ([]audit.Record, error) {
	if err := checkLimit(q.Limit); err != nil {
		return nil, err
	}
	var where []string
	var args []any
	add := func(cond string, v any) {
		args = append(args, v)
		where = append(where, strings.ReplaceAll(cond, "?", "$"+strconv.Itoa(len(args))))
	}
	col := func(cond string, v any) { add("(n > 1 OR "+cond+")", v) }
	if q.Account != "" {
		col("account = ?", q.Account)
	}
	if !q.Start.IsZero() {
		col("at >= ?", nanos(q.Start))
		from, err := s.seqFrom(ctx, q.Start)
		if err != nil {
			return nil, err
		}
		if from > 0 {
			add("seq >= ?", from)
		}
	}
	if !q.End.IsZero() {
		col("at < ?", nanos(q.End))
		to, err := s.seqFrom(ctx, q.End.Add(2*auditTimeSlack))
		if err != nil {
			return nil, err
		}
		if to > 0 {
			add("seq - n + 1 <= ?", to)
		}
	}
	if q.EventName != "" {
		col("event_name = ?", q.EventName)
	}
	if q.KeyARN != "" {
		col("(key_arns = ? OR ',' || key_arns || ',' LIKE '%,' || ? || ',%')", q.KeyARN)
	}
	if q.Principal != "" {
		col("principal = ?", q.Principal)
	}
	if q.ErrorCode != "" {
		col("error_code = ?", q.ErrorCode)
	}
	// The cursor pages through rows: past the last row read, starting at
	// AfterSeq or BeforeSeq.
	order, cursor := "DESC", int64(math.MaxInt64)
	if q.Ascending {
		order, cursor = "ASC", q.AfterSeq
		add("seq > ?", int64(0))
	} else {
		if q.BeforeSeq > 0 {
			cursor = q.BeforeSeq
		}
		add("seq - n + 1 < ?", int64(0))
	}
	cursorArg := len(args) - 1
	// A prune deletes whole rows: the events before the checkpoint that
	// share a batch row with later ones are skipped here.
	var pruned int64
	if c, ok, err := s.AuditCheckpoint(ctx); err != nil {
		return nil, err
	} else if ok {
		pruned = c.Seq
	}
	sqlText := `SELECT ` + auditSelectCols + ` FROM audit_events WHERE ` + strings.Join(where, " AND ")
	args = append(args, q.Limit)
	sqlText += ` ORDER BY seq ` + order + ` LIMIT $` + strconv.Itoa(len(args))
	var out []audit.Record
	for {
		args[cursorArg] = cursor
		rows, err := s.db.QueryContext(ctx, sqlText, args...)
		if err != nil {
			return nil, fmt.Errorf("query audit events: %w", err)
		}
		p, err := scanAudit(rows, !q.Ascending)
		if err != nil {
			return nil, err
		}
		for _, r := range p.recs {
			if r.Seq > pruned && auditMatches(&q, &r) {
				out = append(out, r)
				if len(out) == q.Limit {
					return out, nil
				}
			}
		}
		// Stop at the end, or if a damaged row would lead back (the
		// cursor must move on).
		if p.rows < q.Limit || q.Ascending && p.cursor <= cursor || !q.Ascending && p.cursor >= cursor {
			return out, nil
		}
		cursor = p.cursor
	}
}

// auditMatches reports whether r is one of the events q asks for.
func auditMatches(q *audit.Query, r *audit.Record) bool {
	switch {
	case q.Account != "" && r.Account != q.Account,
		q.EventName != "" && r.EventName != q.EventName,
		q.Principal != "" && r.Principal != q.Principal,
		q.ErrorCode != "" && r.ErrorCode != q.ErrorCode,
		!q.Start.IsZero() && r.Time.Before(q.Start),
		!q.End.IsZero() && !r.Time.Before(q.End),
		q.Ascending && r.Seq <= q.AfterSeq,
		!q.Ascending && q.BeforeSeq > 0 && r.Seq >= q.BeforeSeq:
		return false
	}
	if q.KeyARN != "" {
		// Exact matches only (LIKE treats _ as a wildcard).
		return slices.Contains(strings.Split(r.KeyARNs, ","), q.KeyARN)
	}
	return true
}

// auditDigestCols are the columns of a digest, in the order scanDigest
// reads them.
const auditDigestCols = `from_seq, to_seq, hash, at, mac, prev_mac, digest_every, digest_interval`

func scanDigest(sc scanner) (audit.Digest, error) {
	var d audit.Digest
	var at, interval int64
	if err := sc.Scan(&d.FromSeq, &d.ToSeq, &d.Hash, &at, &d.MAC, &d.PrevMAC, &d.Every, &interval); err != nil {
		return audit.Digest{}, err
	}
	d.Time, d.Interval = fromNanos(at), time.Duration(interval)
	return d, nil
}

// sqlChainTip selects the chained digest with the greatest ToSeq.
const sqlChainTip = `SELECT ` + auditDigestCols + ` FROM audit_digests WHERE prev_mac IS NOT NULL ORDER BY to_seq DESC, id DESC LIMIT 1`

// AddAuditDigests implements audit.Log. The chain's tip is read in the
// transaction and must be what ds[0] names; the unique prev_mac refuses a
// second digest naming the same one, which is what two processes racing
// from the same tip would write (on PostgreSQL both transactions may read
// the tip before either commits).
func (s *DB) AddAuditDigests(ctx context.Context, ds []audit.Digest) error {
	if len(ds) == 0 {
		return nil
	}
	if s.batchRows() {
		s.auditMu.Lock()
		defer s.auditMu.Unlock()
	}
	err := s.rawTx(ctx, func(tx *sql.Tx) error {
		if ds[0].Chained() {
			tip, err := scanDigest(tx.QueryRowContext(ctx, sqlChainTip))
			switch {
			case errors.Is(err, sql.ErrNoRows):
			case err != nil:
				return fmt.Errorf("read the last audit digest: %w", err)
			case ds[0].FromSeq != tip.ToSeq+1 || string(ds[0].PrevMAC) != string(tip.MAC):
				return fmt.Errorf("%w: the last is of %d..%d", audit.ErrDigestConflict, tip.FromSeq, tip.ToSeq)
			}
		}
		for _, d := range ds {
			var prev any // NULL for an unchained digest
			if d.Chained() {
				prev = d.PrevMAC
			}
			_, err := tx.ExecContext(ctx, `INSERT INTO audit_digests (`+auditDigestCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
				d.FromSeq, d.ToSeq, d.Hash, nanos(d.Time), d.MAC, prev, d.Every, int64(d.Interval))
			if err != nil && s.d.IsUniqueViolation(err) {
				return fmt.Errorf("%w: another digest names the same previous one", audit.ErrDigestConflict)
			}
			if err != nil {
				return fmt.Errorf("insert audit digest: %w", err)
			}
		}
		return nil
	})
	if err != nil && s.d.IsUniqueViolation(err) {
		// PostgreSQL may report the violation at commit.
		return fmt.Errorf("%w: another digest names the same previous one", audit.ErrDigestConflict)
	}
	return err
}

// AuditDigestTip implements audit.Log.
func (s *DB) AuditDigestTip(ctx context.Context) (audit.Digest, bool, error) {
	for _, q := range []string{sqlChainTip, `SELECT ` + auditDigestCols + ` FROM audit_digests ORDER BY to_seq DESC, id DESC LIMIT 1`} {
		d, err := scanDigest(s.db.QueryRowContext(ctx, q))
		if err == nil {
			return d, true, nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return audit.Digest{}, false, fmt.Errorf("read the last audit digest: %w", err)
		}
	}
	return audit.Digest{}, false, nil
}

// AuditDigests implements audit.Log.
func (s *DB) AuditDigests(ctx context.Context) ([]audit.Digest, error) {
	return auditDigests(ctx, s.db)
}

func auditDigests(ctx context.Context, q rowQuerier) ([]audit.Digest, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+auditDigestCols+` FROM audit_digests ORDER BY to_seq, id`)
	if err != nil {
		return nil, fmt.Errorf("read audit digests: %w", err)
	}
	defer rows.Close()
	var out []audit.Digest
	for rows.Next() {
		d, err := scanDigest(rows)
		if err != nil {
			return nil, fmt.Errorf("read audit digests: %w", err)
		}
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read audit digests: %w", err)
	}
	return out, nil
}

// errBadCheckpoint is returned by PruneAudit for a checkpoint that does not
// name a stored event.
var errBadCheckpoint = errors.New("checkpoint does not name a stored audit event")

// PruneAudit implements audit.Log.
func (s *DB) PruneAudit(ctx context.Context, c audit.Checkpoint) error {
	return s.rawTx(ctx, func(tx *sql.Tx) error {
		hash, err := s.auditHashAt(ctx, tx, c.Seq)
		if errors.Is(err, sql.ErrNoRows) || err == nil && string(hash) != string(c.Hash) {
			return fmt.Errorf("prune audit log to %d: %w", c.Seq, errBadCheckpoint)
		}
		if err != nil {
			return fmt.Errorf("prune audit log: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM audit_events WHERE seq <= $1`, c.Seq); err != nil {
			return fmt.Errorf("prune audit events: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM audit_digests WHERE to_seq < $1`, c.Seq); err != nil {
			return fmt.Errorf("prune audit digests: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM audit_checkpoint`); err != nil {
			return fmt.Errorf("replace audit checkpoint: %w", err)
		}
		var link any // NULL for an earlier release's checkpoint
		if c.Linked() {
			link = c.LinkMAC
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO audit_checkpoint (id, seq, hash, at, mac, link_seq, link_mac, link_every) VALUES (1, $1, $2, $3, $4, $5, $6, $7)`,
			c.Seq, c.Hash, nanos(c.Time), c.MAC, c.LinkSeq, link, c.LinkEvery); err != nil {
			return fmt.Errorf("write audit checkpoint: %w", err)
		}
		return nil
	})
}

// auditHashAt returns the hash of event seq, which may be inside a batch
// row (whose later rows a prune keeps), or sql.ErrNoRows.
func (s *DB) auditHashAt(ctx context.Context, tx *sql.Tx, seq int64) ([]byte, error) {
	var last, n int64
	var stored, prev, hash []byte
	err := tx.QueryRowContext(ctx, `SELECT seq, n, event, prev_hash, hash FROM audit_events WHERE seq >= $1 ORDER BY seq LIMIT 1`, seq).
		Scan(&last, &n, &stored, &prev, &hash)
	if err != nil {
		return nil, err
	}
	if n <= 1 {
		if last != seq {
			return nil, sql.ErrNoRows
		}
		return hash, nil
	}
	if last-n+1 > seq {
		return nil, sql.ErrNoRows
	}
	recs, err := audit.DecodeBatch(stored, last, int(n), prev, hash)
	if err != nil {
		return nil, err
	}
	return recs[seq-(last-n+1)].Hash, nil
}

// AuditCheckpoint implements audit.Log.
func (s *DB) AuditCheckpoint(ctx context.Context) (audit.Checkpoint, bool, error) {
	return auditCheckpoint(ctx, s.db)
}

func auditCheckpoint(ctx context.Context, q rowQuerier) (audit.Checkpoint, bool, error) {
	var c audit.Checkpoint
	var at int64
	err := q.QueryRowContext(ctx, `SELECT seq, hash, at, mac, link_seq, link_mac, link_every FROM audit_checkpoint WHERE id = 1`).
		Scan(&c.Seq, &c.Hash, &at, &c.MAC, &c.LinkSeq, &c.LinkMAC, &c.LinkEvery)
	if errors.Is(err, sql.ErrNoRows) {
		return audit.Checkpoint{}, false, nil
	}
	if err != nil {
		return audit.Checkpoint{}, false, fmt.Errorf("read audit checkpoint: %w", err)
	}
	c.Time = fromNanos(at)
	return c, true, nil
}

// auditView is a consistent read-only view of the audit log: the reads of
// AuditSnapshot's transaction.
type auditView struct {
	s  *DB
	tx *sql.Tx
}

func (v auditView) AuditRecords(ctx context.Context, after int64, limit int) ([]audit.Record, error) {
	return auditRecords(ctx, v.tx, after, limit)
}

func (v auditView) AuditHead(ctx context.Context) (audit.Head, error) {
	return v.s.readHead(ctx, v.tx, false)
}

func (v auditView) AuditDigests(ctx context.Context) ([]audit.Digest, error) {
	return auditDigests(ctx, v.tx)
}

func (v auditView) AuditCheckpoint(ctx context.Context) (audit.Checkpoint, bool, error) {
	return auditCheckpoint(ctx, v.tx)
}

// AuditSnapshot calls fn with a view of the audit log as one moment left
// it (events, digests, checkpoint and head), however long fn reads while
// other processes append: verification and exports of a live log see no
// event that its digests' writers had not seen. It runs in a read-only
// transaction: on PostgreSQL REPEATABLE READ, on SQLite a deferred one,
// which takes no write lock (the WAL keeps the snapshot).
func (s *DB) AuditSnapshot(ctx context.Context, fn func(v audit.View) error) error {
	opts := &sql.TxOptions{ReadOnly: true}
	if s.d.Name != "sqlite" {
		opts.Isolation = sql.LevelRepeatableRead
	}
	tx, err := s.db.BeginTx(ctx, opts)
	if err != nil {
		return fmt.Errorf("begin audit snapshot: %w", err)
	}
	defer tx.Rollback()
	return fn(auditView{s: s, tx: tx})
}
