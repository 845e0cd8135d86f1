// Package stdfd lets resilog write to the process's stdout and stderr without letting a
// closed pipe kill the process.
//
// Go makes a write to a broken pipe on file descriptor 1 or 2 fatal (the process exits
// with SIGPIPE) unless the program calls signal.Notify for SIGPIPE; on any other
// descriptor the write just fails with EPIPE (see the os/signal documentation, "SIGPIPE").
// A library cannot take over the process's signal handling, so resilog writes through a
// duplicate of the descriptor instead: the same open file (same pipe, terminal or file,
// same offset and flags), another number. `./svc | head -c1` then costs resilog a write
// error, counted, and the application keeps the behaviour it chose for its own writes.
package stdfd

import "os"

// IsStd reports whether f is the process's stdout or stderr descriptor (1 or 2). It does
// not call f.Fd, which would put f in blocking mode.
func IsStd(f *os.File) bool {
	if f == nil {
		return false
	}
	sc, err := f.SyscallConn()
	if err != nil {
		return false
	}
	std := false
	_ = sc.Control(func(fd uintptr) { std = fd == 1 || fd == 2 })
	return std
}

// Dup returns a new *os.File on a close-on-exec duplicate of f's descriptor, or an error
// where duplicating is not possible; the caller closes it. Writes through it behave as
// writes through f, except that a broken pipe is an error, never a fatal signal.
func Dup(f *os.File) (*os.File, error) { return dup(f) }
