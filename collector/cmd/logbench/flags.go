package main

import (
	"flag"
	"os"
)

// init gives logbench a command line of its own. The distribution links in the loadbalancing
// exporter, whose Kubernetes resolver (controller-runtime) registers -kubeconfig on the global
// flag set when it is initialised; logbench has no use for it, and -h listed it. Package inits
// run after those of the packages imported, so the flags main defines are the only ones.
func init() {
	flag.CommandLine = flag.NewFlagSet(os.Args[0], flag.ExitOnError)
}
