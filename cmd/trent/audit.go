package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/trentkms/trent/internal/atomicfile"
	"github.com/trentkms/trent/internal/audit"
)

// trent audit head|verify|list|export: the audit log, offline on the data
// directory (SQLite) or on the PostgreSQL database named by --store.

func runAudit(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return fmt.Errorf("audit: want a subcommand: head, verify, list, export")
	}
	switch args[0] {
	case "head":
		return runAuditHead(ctx, args[1:], os.Stdout)
	case "verify":
		return runAuditVerify(ctx, args[1:], os.Stdout)
	case "list":
		return runAuditList(ctx, args[1:], os.Stdout)
	case "export":
		return runAuditExport(ctx, args[1:], os.Stdout)
	}
	return fmt.Errorf("unknown audit command %q; want: head, verify, list, export", args[0])
}

func runAuditHead(ctx context.Context, args []string, out io.Writer) error {
	var d dataFlags
	fs := flag.NewFlagSet("audit head", flag.ContinueOnError)
	d.register(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	n, err := openNode(ctx, &d, false)
	if err != nil {
		return err
	}
	defer n.Close()
	h, err := n.store.AuditHead(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintln(out, h.String())
	return nil
}

func runAuditVerify(ctx context.Context, args []string, out io.Writer) error {
	var d dataFlags
	var expect, file string
	var opts audit.VerifyOptions
	fs := flag.NewFlagSet("audit verify", flag.ContinueOnError)
	d.register(fs)
	fs.StringVar(&expect, "expect-head", "", "SEQ:HASH printed earlier by `trent audit head` and kept elsewhere: detects events removed from the tail")
	fs.StringVar(&file, "file", "", "verify this export (trent audit export) instead of the database; the data directory's root key checks its MACs")
	fs.BoolVar(&opts.AllowUnchained, "allow-unchained", false, "accept a log without chained digests, written by an earlier release and not yet opened by a server of this one, and check it as that release did")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if expect != "" {
		h, err := audit.ParseHead(expect)
		if err != nil {
			return fmt.Errorf("--expect-head: %w", err)
		}
		opts.ExpectHead = &h
	}
	var rep audit.Report
	if file != "" {
		ex, err := readExport(file)
		if err != nil {
			return err
		}
		opts.Digests, opts.Checkpoint = ex.digests, ex.checkpoint
		// The key comes from the data directory when there is one.
		if n, err := openNode(ctx, &d, false); err == nil {
			key, kerr := n.keyring.AuditKey()
			n.Close()
			if kerr != nil {
				return kerr
			}
			opts.Key = key
		} else {
			fmt.Fprintf(out, "trent: warning: no data directory to read the root key from (%v): digest and checkpoint MACs are not checked\n", err)
		}
		if rep, err = audit.Verify(ctx, ex, opts); err != nil {
			return err
		}
	} else {
		n, err := openNode(ctx, &d, false)
		if err != nil {
			return err
		}
		defer n.Close()
		if opts.Key, err = n.keyring.AuditKey(); err != nil {
			return err
		}
		// One snapshot: a live log's events appended while this reads
		// are not held against digests written after it began.
		err = n.store.AuditSnapshot(ctx, func(v audit.View) error {
			var err error
			if opts.Digests, err = v.AuditDigests(ctx); err != nil {
				return err
			}
			if c, ok, err := v.AuditCheckpoint(ctx); err != nil {
				return err
			} else if ok {
				opts.Checkpoint = &c
			}
			h, err := v.AuditHead(ctx)
			if err != nil {
				return err
			}
			opts.StoredHead = &h
			rep, err = audit.Verify(ctx, v, opts)
			return err
		})
		if err != nil {
			if rep.LastDigest == nil && errors.Is(err, audit.ErrVerify) {
				fmt.Fprintln(out, "trent: hint: a log of an earlier release gets its first chained digest when a server of this release starts on it; --allow-unchained checks it as that release did")
			}
			return err
		}
	}
	from := int64(1)
	if rep.CheckpointSeq > 0 {
		from = rep.CheckpointSeq + 1
	}
	fmt.Fprintf(out, "trent: audit log verified: events %d..%d (%d), %d signed digests, head %s\n", from, rep.Head.Seq, rep.Events, rep.Digests, rep.Head)
	if l := rep.LastDigest; l != nil {
		fmt.Fprintf(out, "trent: digests cover events up to %d (the last was written at %s); %d events after it are not signed yet\n",
			l.ToSeq, l.Time.Format(time.RFC3339), rep.Head.Seq-l.ToSeq)
	} else {
		fmt.Fprintln(out, "trent: warning: no chained digest: checked as a log of an earlier release (--allow-unchained)")
	}
	if rep.Unsigned {
		fmt.Fprintln(out, "trent: warning: digest and checkpoint MACs were not checked")
	}
	return nil
}

func runAuditList(ctx context.Context, args []string, out io.Writer) error {
	var d dataFlags
	var q audit.Query
	var start, end string
	fs := flag.NewFlagSet("audit list", flag.ContinueOnError)
	d.register(fs)
	fs.StringVar(&start, "start", "", "events at or after this time (RFC 3339)")
	fs.StringVar(&end, "end", "", "events before this time (RFC 3339)")
	fs.StringVar(&q.EventName, "event-name", "", "only this eventName")
	fs.StringVar(&q.KeyARN, "key-arn", "", "only events on this key ARN")
	fs.StringVar(&q.Principal, "principal", "", "only events of this principal ARN")
	fs.StringVar(&q.ErrorCode, "error-code", "", "only events with this errorCode")
	fs.StringVar(&q.Account, "account", "", "only events of this account")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var err error
	if q.Start, err = parseTimeFlag("--start", start); err != nil {
		return err
	}
	if q.End, err = parseTimeFlag("--end", end); err != nil {
		return err
	}
	n, err := openNode(ctx, &d, false)
	if err != nil {
		return err
	}
	defer n.Close()
	w := bufio.NewWriter(out)
	q.Ascending, q.Limit = true, 1000
	for {
		recs, err := n.store.QueryAudit(ctx, q)
		if err != nil {
			return err
		}
		for _, r := range recs {
			w.Write(r.Event)
			w.WriteByte('\n')
			q.AfterSeq = r.Seq
		}
		if len(recs) < q.Limit {
			return w.Flush()
		}
	}
}

func parseTimeFlag(name, s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%s %q: want RFC 3339 (2006-01-02T15:04:05Z)", name, s)
	}
	return t, nil
}

// exportLine is one line of an export (JSON lines): a checkpoint first
// when the log was pruned, then the events in order, then the digests.
// Checkpoint and digest lines are audit.MarshalCheckpointLine's and
// audit.MarshalDigestLine's.
type exportLine struct {
	Type     string          `json:"type"` // "checkpoint", "event", "digest"
	Seq      int64           `json:"seq,omitempty"`
	PrevHash string          `json:"prevHash,omitempty"`
	Hash     string          `json:"hash"`
	Event    json.RawMessage `json:"event,omitempty"`
}

func runAuditExport(ctx context.Context, args []string, out io.Writer) error {
	var d dataFlags
	var path string
	fs := flag.NewFlagSet("audit export", flag.ContinueOnError)
	d.register(fs)
	fs.StringVar(&path, "out", "", "file to write (JSON lines; must not exist)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if path == "" {
		return fmt.Errorf("--out is required")
	}
	n, err := openNode(ctx, &d, false)
	if err != nil {
		return err
	}
	defer n.Close()
	// The export is built in memory and written with atomicfile (temporary
	// file, fsync, rename, directory fsync): a crash leaves no partial
	// export that could pass for a truncated log. It is read from one
	// snapshot, so that it holds what the log held at one moment.
	var buf bytes.Buffer
	var count int64
	err = n.store.AuditSnapshot(ctx, func(v audit.View) error {
		var err error
		count, err = writeExport(ctx, v, &buf)
		return err
	})
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	if err := atomicfile.WriteNew(path, buf.Bytes(), 0o600); err != nil {
		return fmt.Errorf("export to %s: %w", path, err)
	}
	fmt.Fprintf(out, "trent: exported %d audit events to %s\n", count, path)
	return nil
}

func writeExport(ctx context.Context, v audit.View, f io.Writer) (int64, error) {
	w := bufio.NewWriter(f)
	enc := json.NewEncoder(w)
	c, ok, err := v.AuditCheckpoint(ctx)
	if err != nil {
		return 0, err
	}
	var after int64
	if ok {
		after = c.Seq
		w.Write(audit.MarshalCheckpointLine(c))
		w.WriteByte('\n')
	}
	ds, err := v.AuditDigests(ctx)
	if err != nil {
		return 0, err
	}
	var count int64
	for {
		recs, err := v.AuditRecords(ctx, after, 1000)
		if err != nil {
			return count, err
		}
		for _, r := range recs {
			if err := enc.Encode(exportLine{Type: "event", Seq: r.Seq, PrevHash: hex.EncodeToString(r.PrevHash), Hash: hex.EncodeToString(r.Hash), Event: r.Event}); err != nil {
				return count, err
			}
			after = r.Seq
			count++
		}
		if len(recs) < 1000 {
			break
		}
	}
	for _, d := range ds {
		w.Write(audit.MarshalDigestLine(d))
		w.WriteByte('\n')
	}
	return count, w.Flush()
}

// export is a parsed export file: an audit.Source that yields its events
// in file order (so that a reordered file is seen as reordered).
type export struct {
	recs       []audit.Record
	pos        int
	digests    []audit.Digest
	checkpoint *audit.Checkpoint
}

func (e *export) AuditRecords(_ context.Context, _ int64, limit int) ([]audit.Record, error) {
	end := min(len(e.recs), e.pos+limit)
	out := e.recs[e.pos:end]
	e.pos = end
	return out, nil
}

func readExport(path string) (*export, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read export: %w", err)
	}
	defer f.Close()
	ex := &export{}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	line := 0
	for sc.Scan() {
		line++
		var l exportLine
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			return nil, fmt.Errorf("export %s line %d: %w", path, line, err)
		}
		switch l.Type {
		case "checkpoint":
			c, err := audit.ParseCheckpointLine(sc.Bytes())
			if err != nil {
				return nil, fmt.Errorf("export %s line %d: %w", path, line, err)
			}
			ex.checkpoint = &c
		case "digest":
			d, err := audit.ParseDigestLine(sc.Bytes())
			if err != nil {
				return nil, fmt.Errorf("export %s line %d: %w", path, line, err)
			}
			ex.digests = append(ex.digests, d)
		case "event":
			hash, err1 := hex.DecodeString(l.Hash)
			prev, err2 := hex.DecodeString(l.PrevHash)
			if err := errors.Join(err1, err2); err != nil {
				return nil, fmt.Errorf("export %s line %d: %w", path, line, err)
			}
			r := audit.Record{Seq: l.Seq, Event: l.Event, PrevHash: prev, Hash: hash}
			if ev, err := audit.ParseEvent(l.Event); err == nil {
				c := audit.Columns(ev)
				r.Time, r.Account, r.EventName, r.KeyARNs, r.Principal, r.ErrorCode = c.Time, c.Account, c.EventName, c.KeyARNs, c.Principal, c.ErrorCode
			}
			ex.recs = append(ex.recs, r)
		default:
			return nil, fmt.Errorf("export %s line %d: unknown line type %q", path, line, l.Type)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read export %s: %w", path, err)
	}
	return ex, nil
}
