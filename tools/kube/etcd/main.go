// Command etcd is upstream etcd's own entry point (go.etcd.io/etcd/server/v3/etcdmain), built in
// this module so it shares the go.etcd.io versions k8s.io/kubernetes requires. Nothing of etcd is
// reimplemented here.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
