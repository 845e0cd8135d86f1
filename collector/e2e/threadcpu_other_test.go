//go:build !linux

package e2e

import (
	"testing"
	"time"
)

// threadCPU is not measured off Linux; the tests then skip the CPU-time check.
func threadCPU(*testing.T) time.Duration { return 0 }

const haveThreadCPU = false
