package sigv4

import (
	"bytes"
	"context"
	"net/http"
	"testing"
)

// benchRequest returns a typical aws-sdk-go-v2 KMS request as the server
// sees it: 8 signed headers, a 1 KiB body, signed by Signer.
func benchRequest(tb testing.TB) (*http.Request, []byte) {
	body := bytes.Repeat([]byte("a"), 1024)
	copy(body, `{"KeyId":"alias/trent-bench","Plaintext":"`)
	copy(body[len(body)-2:], `"}`)
	r := sampleRequest(body)
	sampleSigner().Sign(r, body, sampleTime)
	if n := bytes.Count([]byte(r.Header.Get("Authorization")), []byte(";")); n != 7 {
		tb.Fatalf("%d signed headers, want 8", n+1)
	}
	return serverView(r), body
}

// BenchmarkVerify measures Verify of a typical KMS request with the signing
// key cached (the steady state of a server).
func BenchmarkVerify(b *testing.B) {
	r, body := benchRequest(b)
	v := sampleVerifier(sampleTime)
	ctx := context.Background()
	if _, err := v.Verify(ctx, r, body); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		if _, err := v.Verify(ctx, r, body); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerifyParallel is BenchmarkVerify from GOMAXPROCS goroutines
// sharing one Verifier (and its key cache).
func BenchmarkVerifyParallel(b *testing.B) {
	r, body := benchRequest(b)
	v := sampleVerifier(sampleTime)
	ctx := context.Background()
	if _, err := v.Verify(ctx, r, body); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := v.Verify(ctx, r, body); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkVerifyMismatch measures the cost of rejecting a bad signature.
func BenchmarkVerifyMismatch(b *testing.B) {
	r, body := benchRequest(b)
	body = append([]byte{}, body...)
	body[100] ^= 1
	v := sampleVerifier(sampleTime)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.Verify(ctx, r, body); err == nil {
			b.Fatal("verified")
		}
	}
}

// BenchmarkSign measures Signer.Sign of the same request (load generator).
func BenchmarkSign(b *testing.B) {
	_, body := benchRequest(b)
	s := sampleSigner()
	b.ReportAllocs()
	for b.Loop() {
		r := sampleRequest(body)
		s.Sign(r, body, sampleTime)
	}
}

// BenchmarkSignedHeaderPolicy measures the check that every X-Amz-* header
// of a typical KMS request is signed (part of BenchmarkVerify).
func BenchmarkSignedHeaderPolicy(b *testing.B) {
	r, _ := benchRequest(b)
	a, perr := parseAuthorization(r.Header.Get("Authorization"))
	if perr != nil {
		b.Fatal(perr)
	}
	var names [maxSignedHeaders]string
	sl := scanSignedHeaders(a.signedHeaders, &names)
	b.ReportAllocs()
	for b.Loop() {
		if name := unsignedAmzHeader(r.Header, names[:sl.n], sl, a.signedHeaders); name != "" {
			b.Fatalf("%s unsigned", name)
		}
	}
}
