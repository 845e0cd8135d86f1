//go:build unix

package stdfd

import (
	"errors"
	"os"
	"syscall"
)

func dup(f *os.File) (*os.File, error) {
	sc, err := f.SyscallConn()
	if err != nil {
		return nil, err
	}
	nfd, derr := -1, error(nil)
	// Under ForkLock, as package os does, so that no child inherits the descriptor
	// between Dup and CloseOnExec.
	syscall.ForkLock.RLock()
	cerr := sc.Control(func(fd uintptr) {
		nfd, derr = syscall.Dup(int(fd))
		if derr == nil {
			syscall.CloseOnExec(nfd)
		}
	})
	syscall.ForkLock.RUnlock()
	if err := errors.Join(cerr, derr); err != nil {
		return nil, err
	}
	return os.NewFile(uintptr(nfd), f.Name()), nil
}
