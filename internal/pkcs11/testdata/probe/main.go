// Command probe is built by TestBuilds with and without the nopkcs11 tag:
// it reports whether the build supports PKCS#11 and, given a module path
// and a token label, lists the token.
package main

import (
	"fmt"
	"os"

	"github.com/trentkms/trent/internal/pkcs11"
)

func main() {
	fmt.Printf("supported=%t\n", pkcs11.Supported())
	if len(os.Args) < 2 {
		return
	}
	m, err := pkcs11.Open(os.Args[1])
	if err != nil {
		fmt.Printf("error: %v\n", err)
		os.Exit(2)
	}
	defer m.Close()
	tokens, err := m.Tokens()
	if err != nil {
		fmt.Printf("error: %v\n", err)
		os.Exit(2)
	}
	for _, t := range tokens {
		fmt.Printf("token %q\n", t.Label)
	}
}
