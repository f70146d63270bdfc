// Package leak finds goroutines that outlive their work (LK3001) and
// condiag locks still held when a test or program ends (LK3002), and
// diagnoses tests that hang.
//
// It does what go.uber.org/goleak does, with the same options
// ([IgnoreTopFunction], [IgnoreAnyFunction], [IgnoreCurrent], [Cleanup],
// [MaxRetryAttempts], [MaxSleepInterval]) plus [IgnoreCreatedBy], and
// says more about each leak:
//
//   - what it is blocked on: for a condiag primitive, which one (its name
//     or class, where it was first locked or used) and who holds it, even
//     when the holder has exited; the condiag locks it holds itself;
//
//   - where it was created and which test started it, correctly under
//     t.Parallel (see [VerifyNone]);
//
//   - whether the runtime proved it leaked, when the binary is built with
//     GOEXPERIMENT=goroutineleakprofile (the garbage collector finds
//     goroutines blocked on objects nothing else can reach);
//
//   - leaks with the same stack are one finding, with a count, not ten
//     thousand copies.
//
//     func TestMain(m *testing.M) { leak.VerifyTestMain(m) }
//
//     func TestServe(t *testing.T) {
//     defer leak.VerifyNone(t)
//     // ...
//     }
//
// The module root's condiag.VerifyNone and condiag.VerifyTestMain combine
// these checks with every finding of the online detectors.
//
// # Cost
//
// A check reads every goroutine's traceback (runtime.Stack). With 10,000
// parked goroutines that are ignored, a check takes about what one goleak
// scan takes; with 10,000 leaked, it reports once the set has stayed the
// same for 100 ms ([Settle]), where goleak scans 21 times (about 2 s on
// this machine). Figures: docs/performance.md.
package leak
