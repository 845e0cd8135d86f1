//go:build !linux

package e2e

import (
	"testing"
	"time"
)

type threadUsage struct {
	cpu    time.Duration
	faults int64
}

// threadNow is not measured off Linux; the tests then skip the CPU-time check.
func threadNow(*testing.T) threadUsage { return threadUsage{} }

const haveThreadUsage = false
