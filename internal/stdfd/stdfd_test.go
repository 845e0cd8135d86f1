package stdfd

import (
	"io"
	"os"
	"runtime"
	"testing"
)

func TestIsStd(t *testing.T) {
	if !IsStd(os.Stdout) || !IsStd(os.Stderr) {
		t.Error("stdout or stderr not recognised")
	}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	if IsStd(w) || IsStd(nil) {
		t.Error("a pipe or nil taken for stdout")
	}
}

// The duplicate writes to the same pipe, and is another descriptor: closing it leaves
// the original open.
func TestDupWritesToTheSameFile(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no SIGPIPE, no duplicate")
	}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	d, err := Dup(w)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Write([]byte("via dup\n")); err != nil {
		t.Fatal(err)
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write([]byte("via original\n")); err != nil {
		t.Fatalf("closing the duplicate closed the original: %v", err)
	}
	w.Close()
	got, err := io.ReadAll(r)
	if err != nil || string(got) != "via dup\nvia original\n" {
		t.Fatalf("read %q, %v", got, err)
	}
}
