// Command kubelet-flags checks kubelet arguments the way the pinned kubelet itself does before it
// starts: upstream's own flag set parses them (an unknown or malformed flag fails), upstream's
// configuration validation checks the result, and upstream's eviction parser reads the
// thresholds. It prints "ok" or the first error. test-cluster/kubelet.test.ts runs it on the
// kubelet-arg list every node's k3s config carries (components/site/k3s.ts KUBELET_ARGS).
package main

import (
	"fmt"
	"os"

	"github.com/spf13/pflag"
	utilfeature "k8s.io/apiserver/pkg/util/feature"
	"k8s.io/kubernetes/cmd/kubelet/app/options"
	"k8s.io/kubernetes/pkg/kubelet/apis/config/validation"
	"k8s.io/kubernetes/pkg/kubelet/eviction"
)

func check(args []string) error {
	fs := pflag.NewFlagSet("kubelet", pflag.ContinueOnError)
	fs.SetOutput(os.Stderr)
	flags := options.NewKubeletFlags()
	cfg, err := options.NewKubeletConfiguration()
	if err != nil {
		return err
	}
	flags.AddFlags(fs)
	options.AddKubeletConfigFlags(fs, cfg)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("not a flag: %v", fs.Args())
	}
	// Validation also asks the host it runs on whether it has cgroup v2 (the site's Debian 13
	// nodes have); that is the node's property, not the arguments', so it is not asked here.
	cfg.FailCgroupV1 = false
	if err := validation.ValidateKubeletConfiguration(cfg, utilfeature.DefaultFeatureGate); err != nil {
		return err
	}
	// What the eviction manager does with them at start (pkg/kubelet/kubelet.go).
	_, err = eviction.ParseThresholdConfig(cfg.EnforceNodeAllocatable, cfg.EvictionHard, cfg.EvictionSoft, cfg.EvictionSoftGracePeriod, cfg.EvictionMinimumReclaim)
	return err
}

func main() {
	if err := check(os.Args[1:]); err != nil {
		fmt.Println(err)
		os.Exit(1)
	}
	fmt.Println("ok")
}
