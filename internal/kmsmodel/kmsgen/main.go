// Command kmsgen writes package kmsapi from the KMS model in
// internal/kmsmodel (the vendored model, its overlay and wire.json): the
// request and response types, their JSON decoders, encoders and
// validators, the enums and one Operation per operation. It also writes
// the merged model for AWS clients (AWS_DATA_PATH). Run it with
// go generate ./internal/kmsapi.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/trentkms/trent/internal/atomicfile"
	"github.com/trentkms/trent/internal/kmsmodel"
)

func main() {
	out := flag.String("out", ".", "directory of package kmsapi")
	data := flag.String("awsdata", "../kmsmodel/awsdata", "AWS_DATA_PATH directory for the merged model")
	flag.Parse()
	if err := run(*out, *data); err != nil {
		fmt.Fprintln(os.Stderr, "kmsgen:", err)
		os.Exit(1)
	}
}

// run generates every file and writes those that changed.
func run(out, data string) error {
	files, err := load()
	if err != nil {
		return err
	}
	for name, b := range files {
		path := filepath.Join(out, name)
		if name == mergedModel {
			path = mergedModelPath(data)
		}
		if old, err := os.ReadFile(path); err == nil && string(old) == string(b) {
			continue
		}
		if err := atomicfile.Write(path, b, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// mergedModelPath is where AWS clients look for the model under an
// AWS_DATA_PATH directory.
func mergedModelPath(data string) string {
	return filepath.Join(data, "kms", "2014-11-01", "service-2.json")
}

// load generates the files from the model in internal/kmsmodel.
func load() (Files, error) {
	m, err := kmsmodel.Load()
	if err != nil {
		return nil, err
	}
	w, err := kmsmodel.LoadWire(m)
	if err != nil {
		return nil, err
	}
	return generate(m, w)
}
