//go:build unix

package spool

import (
	"os"
	"path/filepath"
	"testing"
)

// TestRelativeDirIsResolvedOnceAtOpen (found by the spool adversary): a relative spool directory (RESILOG_SPOOL_DIR=spool,
// as an operator writes it) is resolved again on every segment created, not once at Open.
// A process that changes its working directory after starting (daemons chdir to /, a
// library calls os.Chdir) has its next segments created in another directory, which
// nobody locks and no later run on the spool directory reads: the records appended
// there are lost to the next run. Correct: Open resolves Dir to an absolute path (or
// opens it as a directory handle) so that every segment stays in the directory it locked.
func TestRelativeDirIsResolvedOnceAtOpen(t *testing.T) {
	a, b := t.TempDir(), t.TempDir()
	t.Chdir(a)
	s, _, _ := open(t, Config{Dir: "spool", SegmentBytes: minSegmentBytes})
	appendAll(t, s, 0, 100)
	t.Chdir(b) // the process moves on
	off := 0
	for i := 100; i < 1500; i++ { // several segments' worth: new segments are created now
		r := record(i)
		if _, res := s.Append(&r); res != Spooled {
			off++
		}
	}
	s.crash()
	if off > 0 {
		t.Errorf("after os.Chdir, %d of 1400 Appends were not spooled: the spool turned itself off, creating a segment relative to the new working directory", off)
	}

	t.Chdir(a) // the next run, started where the first one was
	s2, _, _ := open(t, Config{Dir: "spool", SegmentBytes: minSegmentBytes})
	defer s2.Close()
	bodies, _ := replay(t, s2)
	if len(bodies) != 1500 {
		stray, _ := filepath.Glob(filepath.Join(b, "spool", "*"+segSuffix))
		t.Errorf("the next run on the spool directory replays %d of the 1500 records appended; %d segment files went to %s, the directory the process changed to", len(bodies), len(stray), filepath.Join(b, "spool"))
	}
}

// TestLockSymlinkIsNotFollowed (found by the spool adversary): Open opens the lock file following symlinks
// (O_RDWR|O_CREATE, no O_NOFOLLOW), truncates it and writes the holder's description into
// it. A spool directory in a shared place whose "lock" is a symlink to another file (left
// by another user, or by a mistaken copy of a directory) has Open overwrite that file:
// here a configuration file outside the spool loses its content. Correct: the lock file
// is opened without following a symlink (O_NOFOLLOW), and Open refuses or turns the
// spool off; nothing outside the spool directory is written.
func TestLockSymlinkIsNotFollowed(t *testing.T) {
	dir, other := t.TempDir(), t.TempDir()
	victim := filepath.Join(other, "app.conf")
	const content = "db_password=keep-me\n"
	if err := os.WriteFile(victim, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(victim, filepath.Join(dir, lockName)); err != nil {
		t.Fatal(err)
	}
	s, err := Open(Config{Dir: dir})
	if err == nil {
		s.Close()
	}
	if got, _ := os.ReadFile(victim); string(got) != content {
		t.Errorf("Open on a spool whose lock is a symlink rewrote the file it points to, outside the spool: now %q", got)
	}
}

// TestAttackCorruptCountedAgainEveryRun: a damaged record in an earlier run's segment is
// counted (Stats().Corrupt, which New adds as emitted and dropped{corrupt}) by every run
// that reads the segment, not once: a run that replays the segment but does not get
