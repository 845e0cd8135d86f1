package exporter_test

import (
	"context"
	"os"

	"github.com/resilog/resilog/exporter"
)

// A rotating file as the fallback, for hosts where stdout is not collected.
func ExampleNewFile() {
	f, err := exporter.NewFile(exporter.FileConfig{Path: "/var/log/orders/fallback.jsonl", MaxSizeMB: 100, MaxBackups: 5, Compress: true})
	if err != nil {
		panic(err)
	}
	defer f.Shutdown(context.Background())
}

// Console and JSON lines are the local outputs; either can be the primary or the fallback.
func ExampleNewConsole() {
	console := exporter.NewConsole(os.Stderr)     // for a terminal
	jsonLines := exporter.NewJSONLines(os.Stdout) // for containers
	_, _ = console, jsonLines
}
