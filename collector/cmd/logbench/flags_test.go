package main

import (
	"flag"
	"testing"
)

// TestNoForeignFlags: logbench -h lists only logbench's flags, not the -kubeconfig that a
// dependency registers on the global flag set.
func TestNoForeignFlags(t *testing.T) {
	if f := flag.Lookup("kubeconfig"); f != nil {
		t.Errorf("logbench's command line has the flag -%s (%s) of a dependency", f.Name, f.Usage)
	}
}
