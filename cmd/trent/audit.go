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
	fs := flag.NewFlagSet("audit verify", flag.ContinueOnError)
	d.register(fs)
	fs.StringVar(&expect, "expect-head", "", "SEQ:HASH printed earlier by `trent audit head` and kept elsewhere: detects events removed from the tail")
	fs.StringVar(&file, "file", "", "verify this export (trent audit export) instead of the database; the data directory's root key checks its MACs")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var opts audit.VerifyOptions
	if expect != "" {
		h, err := audit.ParseHead(expect)
		if err != nil {
			return fmt.Errorf("--expect-head: %w", err)
		}
		opts.ExpectHead = &h
	}
	var src audit.Source
	if file != "" {
		ex, err := readExport(file)
		if err != nil {
			return err
		}
		src, opts.Digests, opts.Checkpoint = ex, ex.digests, ex.checkpoint
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
	} else {
		n, err := openNode(ctx, &d, false)
		if err != nil {
			return err
		}
		defer n.Close()
		if opts.Key, err = n.keyring.AuditKey(); err != nil {
			return err
		}
		if opts.Digests, err = n.store.AuditDigests(ctx); err != nil {
			return err
		}
		if c, ok, err := n.store.AuditCheckpoint(ctx); err != nil {
			return err
		} else if ok {
			opts.Checkpoint = &c
		}
		h, err := n.store.AuditHead(ctx)
		if err != nil {
			return err
		}
		opts.StoredHead = &h
		src = n.store
	}
	rep, err := audit.Verify(ctx, src, opts)
	if err != nil {
		return err
	}
	from := int64(1)
	if rep.CheckpointSeq > 0 {
		from = rep.CheckpointSeq + 1
	}
	fmt.Fprintf(out, "trent: audit log verified: events %d..%d (%d), %d signed digests, head %s\n", from, rep.Head.Seq, rep.Events, rep.Digests, rep.Head)
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
type exportLine struct {
	Type     string          `json:"type"` // "checkpoint", "event", "digest"
	Seq      int64           `json:"seq,omitempty"`
	FromSeq  int64           `json:"fromSeq,omitempty"`
	ToSeq    int64           `json:"toSeq,omitempty"`
	PrevHash string          `json:"prevHash,omitempty"`
	Hash     string          `json:"hash"`
	Time     string          `json:"time,omitempty"`
	MAC      string          `json:"mac,omitempty"`
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
	// export that could pass for a truncated log.
	var buf bytes.Buffer
	count, err := writeExport(ctx, n, &buf)
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	if err := atomicfile.WriteNew(path, buf.Bytes(), 0o600); err != nil {
		return fmt.Errorf("export to %s: %w", path, err)
	}
	fmt.Fprintf(out, "trent: exported %d audit events to %s\n", count, path)
	return nil
}

func writeExport(ctx context.Context, n *node, f io.Writer) (int64, error) {
	w := bufio.NewWriter(f)
	enc := json.NewEncoder(w)
	c, ok, err := n.store.AuditCheckpoint(ctx)
	if err != nil {
		return 0, err
	}
	var after int64
	if ok {
		after = c.Seq
		if err := enc.Encode(exportLine{Type: "checkpoint", Seq: c.Seq, Hash: hex.EncodeToString(c.Hash), Time: c.Time.Format(time.RFC3339Nano), MAC: hex.EncodeToString(c.MAC)}); err != nil {
			return 0, err
		}
	}
	// The digests are read first: any digest covers only events that
	// exist already, so the export holds every event a digest names.
	ds, err := n.store.AuditDigests(ctx)
	if err != nil {
		return 0, err
	}
	var count int64
	for {
		recs, err := n.store.AuditRecords(ctx, after, 1000)
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
		if err := enc.Encode(exportLine{Type: "digest", FromSeq: d.FromSeq, ToSeq: d.ToSeq, Hash: hex.EncodeToString(d.Hash), Time: d.Time.Format(time.RFC3339Nano), MAC: hex.EncodeToString(d.MAC)}); err != nil {
			return count, err
		}
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
		hash, err1 := hex.DecodeString(l.Hash)
		mac, err2 := hex.DecodeString(l.MAC)
		prev, err3 := hex.DecodeString(l.PrevHash)
		if err := errors.Join(err1, err2, err3); err != nil {
			return nil, fmt.Errorf("export %s line %d: %w", path, line, err)
		}
		var t time.Time
		if l.Time != "" {
			if t, err = time.Parse(time.RFC3339Nano, l.Time); err != nil {
				return nil, fmt.Errorf("export %s line %d: %w", path, line, err)
			}
		}
		switch l.Type {
		case "checkpoint":
			ex.checkpoint = &audit.Checkpoint{Seq: l.Seq, Hash: hash, Time: t, MAC: mac}
		case "digest":
			ex.digests = append(ex.digests, audit.Digest{FromSeq: l.FromSeq, ToSeq: l.ToSeq, Hash: hash, Time: t, MAC: mac})
		case "event":
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
