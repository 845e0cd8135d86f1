//go:build unix

package spool

import (
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// createSegmentFile creates path with size bytes allocated on disk. The blocks are
// allocated now, not when the background goroutine first writes there, so that a full
// disk shows here, as an error, rather than as a failed write later.
func createSegmentFile(path string, size int64) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, err
	}
	if err := preallocate(f, size); err != nil {
		f.Close()
		os.Remove(path)
		return nil, err
	}
	return f, nil
}

// mapFile maps the first size bytes of f, shared: what is written to the mapping is in
// the kernel's page cache as soon as it is written, and outlives the process.
func mapFile(f *os.File, size int) ([]byte, error) {
	return unix.Mmap(int(f.Fd()), 0, size, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
}

// prefault writes a zero to each page of mem, so that the log calls that write there
// later take no page fault. Nobody writes to mem yet.
func prefault(mem []byte) {
	for i := 0; i < len(mem); i += os.Getpagesize() {
		mem[i] = 0
	}
}

// writeZeros allocates size bytes of f by writing them, where fallocate is missing.
func writeZeros(f *os.File, size int64) error {
	zeros := make([]byte, 1<<20)
	for off := int64(0); off < size; off += int64(len(zeros)) {
		n := min(int64(len(zeros)), size-off)
		if _, err := f.WriteAt(zeros[:n], off); err != nil {
			return err
		}
	}
	return f.Sync()
}

func unmap(mem []byte) error { return unix.Munmap(mem) }

// syncFile writes what was written to f to stable storage. It returns an error wrapping
// os.ErrClosed, and syncs nothing, when f is closed (or being closed) meanwhile: f's
// descriptor is held for the call.
func syncFile(f *os.File) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var serr error
	if err := rc.Control(func(fd uintptr) { serr = unix.Fdatasync(int(fd)) }); err != nil {
		return fmt.Errorf("%w: %w", os.ErrClosed, err)
	}
	return serr
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, unix.EINVAL) {
		return err
	}
	return nil
}
