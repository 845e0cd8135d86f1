//go:build !unix

package spool

import (
	"errors"
	"os"
)

const openNoFollow = 0

const openNonBlock = 0

func linkCount(os.FileInfo) uint64 { return 1 }

var errNoMmap = errors.New("spool: not supported on this system")

func createSegmentFile(string, int64) (*os.File, error) { return nil, errNoMmap }
func mapFile(*os.File, int) ([]byte, error)             { return nil, errNoMmap }
func prefault([]byte)                                   {}
func unmap([]byte) error                                { return nil }
func syncFile(*os.File) error                           { return nil }
func syncDir(string) error                              { return nil }
func tryLock(*os.File) (bool, error)                    { return false, errNoMmap }
func preallocate(*os.File, int64) error                 { return errNoMmap }
