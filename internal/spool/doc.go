// Package spool keeps redacted records on disk from the moment a log call accepts them
// until they are delivered, so that a record whose log call returned survives the death
// of the process: SIGKILL, os.Exit, log.Fatal, an unrecovered panic, the OOM killer.
//
// # Where it sits
//
// The spool sits where the delivery queue sits: after redaction (no secret reaches the
// disk), before the log call returns. The caller appends each record it accepts, keeps
// the returned seq with the record, and releases the seq once the record's fate is
// settled (exported, written to the fallback, or dropped and counted). At start, the
// records an earlier run left are read back with Earlier, oldest first, to be delivered
// before new ones.
//
//	s, err := spool.Open(spool.Config{Dir: dir})
//	if err != nil { // another process holds dir; the error names it
//		return err
//	}
//	for seq, r := range s.Earlier() {
//		deliver(r) // … and s.Release(seq) once delivered
//	}
//	seq, res := s.Append(&record) // in the log call, after redaction
//	if res != spool.Spooled {
//		// memory path; Full is counted as spool_full
//	}
//
// # What it promises
//
// Append copies the encoded record into the ring (ring.go), a file of the directory
// mapped once and written over and over: once Append returns, the record is in the
// kernel's page cache, which outlives the process. No system call, no page fault (the
// ring's pages stay mapped and dirty), no fsync per record. One background goroutine
// copies the ring's frames to the segment files with pwrite, in large pieces, when a
// quarter of the ring is used and at every sync; a run killed before that leaves them
// in the ring, and the next Open writes them to a segment of their own before it writes
// over the ring. When the ring has no room (the copying goroutine is behind, starved by
// a burst of log calls or waiting for a page a sync is writing back), the log call asks
// for a copy and waits for it, 100ms at most (a copier stuck on a hung disk), then
// reports Full; it never does I/O itself. A record larger than a segment or than half
// the ring (4 MiB by default) is not spooled either (Full).
// Power loss or a kernel crash is another matter: SyncInterval (the default, every
// 100ms) copies and syncs the segments, and loses at most the records of the last
// interval; SyncBatch syncs when the caller asks, before it acknowledges a batch.
//
// Each record is a frame (frame.go): magic, length, seq and a CRC32C over them and the
// payload. The payload is the record in OTLP protobuf (written by package otlpenc, as an
// export would), ending with a log.record.uid attribute (the run id and the seq); the
// caller's record is left as it is, and the caller writes the same uid (UID, AppendUID)
// where the record leaves the process, so that a backend can drop the copy delivered
// twice when a crash came between export and release. Its resource and scope are
// written once per segment, in a frame of their own that its records refer to
// (record.go): a detected resource is several times the size of a record.
//
// Reading back never fails on damage: a torn or corrupt frame is skipped by looking for
// the next magic number whose frame checks out, and the records lost are counted from
// the gap in sequence numbers, or, for a damaged resource-and-scope frame, as the
// records left without it (Stats().Corrupt). Each loss is counted once across runs: a
// lost record's seq is marked released when it is counted, and a later run that reads
// the segment again (some of its records were not delivered yet) counts only the lost
// seqs not marked; the mark reaches the side file at the next sync, as releases do. The
// extent of damage at the end of a segment comes from the next segment's first seq, or,
// for the segment the last run was copying to, from the ring's header (the seq up to
// which it copied); a damaged tail whose extent is still unknown is counted as one
// record, marked at the seq after the last intact one. A record released before its frame was damaged is not a loss.
//
// A segment whose header says a newer format version (a newer resilog wrote it, and the
// library was rolled back) is left as it is, for a run that can read it: not read, not
// counted, not deleted, said once on stderr; its bytes count toward MaxBytes, and this
// run's seqs go past those its header says it holds.
//
// The spool's messages (Open's error, its stderr lines) name the directory as
// Config.Name says, for a caller whose directory may carry a credential.
//
// The spool is bounded (Config.MaxBytes, 1 GiB by default): when a new segment would
// pass the bound, Append reports Full and the caller keeps the record in memory.
// Segments are deleted once all their records are released and their frames copied
// from the ring (by the copying goroutine when the copy comes last). A full disk, a read-only
// directory or any other I/O error turns the spool off, with one line on stderr:
// Append reports Off from then on, and never returns an error.
//
// # On disk
//
// The directory holds a lock file (flock, released by the kernel however the holder
// exits; it names the holder's pid, host and start time), the ring, and segment files
// (segment.go), each allocated whole when created, so that a full disk shows when a
// segment is made rather than as a failed write later. A segment kept with some of its
// records released has a side file saying which (released.go), written every sync
// interval, on Sync and at Close: after a crash, only the records released since the
// last sync (the batches in flight) are delivered again. Spares are created ahead of
// need by the background goroutine, which also copies and syncs; Close stops it.
package spool
