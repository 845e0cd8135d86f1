// Package timeline shows where every record of a benchmark or demo run went, over time:
// per 100 ms bucket, how many records were emitted, accepted by the collector, written to
// the fallback, dropped, and never arrived anywhere, with the fault windows shaded and the
// run's accounting line as the caption. It writes the picture as SVG (drawn with
// gonum.org/v1/plot) and the numbers behind it as CSV beside it (per bucket, and the
// fault windows), so a reader can check the one against the other.
//
// Each series has its own time axis, and the caller must put each record on the one its
// series names:
//
//   - emitted: when the log call was made (the driver's clock, or the record's timestamp);
//
//   - collector: when the collector's exporter wrote the record to its output file, which
//     [Growth] observes by polling the file's size;
//
//   - fallback: when the fallback's line reached the writer the driver gave it ([Lines]);
//
//   - dropped: when the pipeline's dropped counter grew (sampled);
//
//   - never arrived: when the log call was made, for records found neither at the
//     collector nor in the fallback and not counted dropped ([Run.AddMissing]): the sum of
//     this series is the lost records, so each record is in one of collector, fallback,
//     dropped and never arrived, and those four add up to emitted (plus duplicates).
//
//     r := timeline.NewRun("resilog", start)
//     r.Add(timeline.Emitted, time.Now(), 1)
//     ...
//     err := timeline.Write("run.svg", r) // and run.csv, run.faults.csv
package timeline
