//go:build unix

package spool

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

// createSegmentFile creates path with size bytes allocated on disk and maps it, and with
// touch faults each page in for writing: the first write to a page of a file mapping
// faults, and a fault (on ext4, tens of microseconds) costs more than the rest of an
// Append, so spares take them ahead of need, off the log calls. The blocks are allocated now, not when a page is first
// written: writing to a mapped page the file system cannot back raises SIGBUS, so a full
// disk must show here, as an error.
func createSegmentFile(path string, size int64, touch bool) (*os.File, []byte, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, nil, err
	}
	fail := func(err error) (*os.File, []byte, error) {
		f.Close()
		os.Remove(path)
		return nil, nil, err
	}
	if err := preallocate(f, size); err != nil {
		return fail(err)
	}
	mem, err := unix.Mmap(int(f.Fd()), 0, int(size), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	if err != nil {
		return fail(err)
	}
	if touch {
		// Nobody writes to the segment yet. (MADV_POPULATE_WRITE made the later
		// writes no cheaper here.)
		for i := 0; i < len(mem); i += os.Getpagesize() {
			mem[i] = 0
		}
	}
	return f, mem, nil
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

// syncRange writes mem[from:to] to stable storage; from is rounded down to a page.
func syncRange(mem []byte, from, to int) error {
	from &^= os.Getpagesize() - 1
	if from >= to {
		return nil
	}
	return unix.Msync(mem[from:to], unix.MS_SYNC)
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
