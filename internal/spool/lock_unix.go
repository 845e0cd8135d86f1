//go:build unix

package spool

import (
	"errors"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// openNoFollow keeps the lock file's open from following a symlink: the lock is written,
// and a "lock" that points elsewhere must not have Open overwrite the file it names.
const openNoFollow = unix.O_NOFOLLOW

// openNonBlock keeps an open from waiting on a FIFO where a file is expected.
const openNonBlock = unix.O_NONBLOCK

// linkCount returns how many names the file of fi has.
func linkCount(fi os.FileInfo) uint64 {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return uint64(st.Nlink)
	}
	return 1
}

// tryLock takes an exclusive advisory lock on f without waiting; busy reports that
// another process holds it. The kernel releases it when the holder exits, however it
// exits, so a crashed run never leaves the directory locked.
func tryLock(f *os.File) (busy bool, err error) {
	err = unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB)
	if errors.Is(err, unix.EWOULDBLOCK) {
		return true, err
	}
	return false, err
}
