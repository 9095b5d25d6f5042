// The provider's own cmd/pulumi-resource-kubernetes/main.go embeds schema-embed.json and
// terraform-mapping-embed.json, which upstream's release build generates (`go generate`) and the
// module proxy therefore does not carry. This main is the same four lines; build.sh generates the
// two files beside it (./embed) from the module's own schema.json and terraform-mapping.json.
package main

import (
	_ "embed"

	"github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/provider"
	"github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/version"
)

//go:embed schema-embed.json
var pulumiSchema []byte

//go:embed terraform-mapping-embed.json
var terraformMapping []byte

func main() {
	provider.Serve("kubernetes", version.Version, pulumiSchema, terraformMapping)
}
