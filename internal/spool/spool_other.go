//go:build !unix

package spool

import (
	"errors"
	"os"
)

const openNoFollow = 0

var errNoMmap = errors.New("spool: not supported on this system")

func createSegmentFile(string, int64, bool) (*os.File, []byte, error) { return nil, nil, errNoMmap }
func unmap([]byte) error                                              { return nil }
func syncRange([]byte, int, int) error                                { return nil }
func syncDir(string) error                                            { return nil }
func tryLock(*os.File) (bool, error)                                  { return false, errNoMmap }
