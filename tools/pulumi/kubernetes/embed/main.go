// Generates schema-embed.json and terraform-mapping-embed.json the way upstream's
// cmd/pulumi-resource-kubernetes/generate.go does: the module's schema.json with "version" set,
// and its terraform-mapping.json compacted. Usage: embed <module dir> <version> <out dir>.
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
)

func main() {
	if len(os.Args) != 4 {
		fail(fmt.Errorf("usage: embed <provider module dir> <version> <out dir>"))
	}
	src, version, out := os.Args[1], os.Args[2], os.Args[3]
	cmd := filepath.Join(src, "cmd", "pulumi-resource-kubernetes")

	var schema map[string]json.RawMessage
	read(filepath.Join(cmd, "schema.json"), &schema)
	v, err := json.Marshal(version)
	fail(err)
	schema["version"] = v
	write(filepath.Join(out, "schema-embed.json"), schema)

	var mapping any
	read(filepath.Join(cmd, "terraform-mapping.json"), &mapping)
	write(filepath.Join(out, "terraform-mapping-embed.json"), mapping)
}

func read(path string, into any) {
	b, err := os.ReadFile(path)
	fail(err)
	fail(json.Unmarshal(b, into))
}

func write(path string, v any) {
	b, err := json.Marshal(v)
	fail(err)
	fail(os.WriteFile(path, b, 0o600))
}

func fail(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "embed:", err)
		os.Exit(1)
	}
}
