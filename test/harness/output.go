package harness

import (
	"bytes"
	"strings"
	"sync"
)

// lineBuffer collects stdout and parses the server's announcement lines.
// ready is closed once the credentials line (the last of them) is seen;
// a server whose data directory holds no credentials file says so on a
// line that also starts "trent: credentials".
type lineBuffer struct {
	mu       sync.Mutex
	buf      bytes.Buffer
	partial  []byte
	endpoint string
	accounts []string
	ready    chan struct{}
	closed   bool
}

func (b *lineBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf.Write(p)
	b.partial = append(b.partial, p...)
	for {
		i := bytes.IndexByte(b.partial, '\n')
		if i < 0 {
			break
		}
		line := string(b.partial[:i])
		b.partial = b.partial[i+1:]
		switch {
		case strings.HasPrefix(line, "trent: endpoint "):
			b.endpoint = strings.TrimSpace(strings.TrimPrefix(line, "trent: endpoint "))
		case strings.HasPrefix(line, "trent: account "):
			b.accounts = append(b.accounts, strings.TrimSpace(strings.TrimPrefix(line, "trent: account ")))
		case strings.HasPrefix(line, "trent: credentials"):
			if !b.closed {
				b.closed = true
				close(b.ready)
			}
		}
	}
	return len(p), nil
}

func (b *lineBuffer) parsed() (string, []string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.endpoint, append([]string(nil), b.accounts...)
}

func (b *lineBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
