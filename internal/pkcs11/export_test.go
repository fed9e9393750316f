package pkcs11

import "context"

// HoldSession takes a session of t's pool until release is called, so
// that a test can fill the pool.
func HoldSession(t *Token) (release func()) {
	held := make(chan struct{})
	done := make(chan struct{})
	go t.withSession(context.Background(), func(uintptr) error {
		close(held)
		<-done
		return nil
	})
	<-held
	return func() { close(done) }
}
