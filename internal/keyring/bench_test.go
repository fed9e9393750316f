package keyring

import (
	"context"
	"fmt"
	"testing"
)

var benchSizes = []int{32, 1024, 4096}

var benchContext = map[string]string{"aws:s3:arn": "arn:aws:s3:::bucket/object", "tenant": "t-42"}

func BenchmarkEncrypt(b *testing.B) {
	k, _ := newTestKeyring(b, Options{}, testRef)
	ctx := context.Background()
	for _, n := range benchSizes {
		pt := make([]byte, n)
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(n))
			for b.Loop() {
				if _, err := k.Encrypt(ctx, testRef, pt, benchContext); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkDecrypt(b *testing.B) {
	k, _ := newTestKeyring(b, Options{}, testRef)
	ctx := context.Background()
	for _, n := range benchSizes {
		blob, err := k.Encrypt(ctx, testRef, make([]byte, n), benchContext)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(n))
			for b.Loop() {
				if _, _, err := k.Decrypt(ctx, blob, benchContext); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkEncryptParallel is Encrypt of 1 KiB from GOMAXPROCS goroutines
// over 1,000 keys: the server's shape.
func BenchmarkEncryptParallel(b *testing.B) {
	refs := make([]MaterialRef, 1000)
	for i := range refs {
		refs[i] = refN(i)
	}
	k, _ := newTestKeyring(b, Options{}, refs...)
	ctx := context.Background()
	pt := make([]byte, 1024)
	for _, r := range refs {
		k.Encrypt(ctx, r, pt, nil) // warm the cache
	}
	b.ReportAllocs()
	b.SetBytes(1024)
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			if _, err := k.Encrypt(ctx, refs[i%len(refs)], pt, benchContext); err != nil {
				b.Error(err)
				return
			}
			i++
		}
	})
}

func BenchmarkCacheHit(b *testing.B) {
	k, _ := newTestKeyring(b, Options{}, testRef)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		m, err := k.cache.get(ctx, testRef)
		if err != nil {
			b.Fatal(err)
		}
		m.release()
	}
}

func BenchmarkParseHeader(b *testing.B) {
	k, _ := newTestKeyring(b, Options{}, testRef)
	blob, _ := k.Encrypt(context.Background(), testRef, make([]byte, 32), nil)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseHeader(blob); err != nil {
			b.Fatal(err)
		}
	}
}
