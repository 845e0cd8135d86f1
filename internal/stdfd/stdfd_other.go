//go:build !unix

package stdfd

import (
	"errors"
	"os"
)

// Outside Unix there is no SIGPIPE: writing to f itself is safe.
func dup(*os.File) (*os.File, error) { return nil, errors.ErrUnsupported }
