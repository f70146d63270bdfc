package analyze_test

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	rtrace "runtime/trace"
	"sync"
	"testing"

	"github.com/condiag/condiag/analyze"
	"github.com/condiag/condiag/internal/workload"
	"github.com/condiag/condiag/trace"
	xtrace "golang.org/x/exp/trace"
)

// The analysis benchmarks replay a trace of the bank workload (four
// goroutines moving money between 16 accounts under a read lock, two
// account locks at a time, about 6 events per transfer), recorded once:
//
//	go test -run=NONE -bench=Analyze -benchmem -count=10 ./analyze
//
// BenchmarkParseRuntimeTrace parses a runtime/trace of the same workload
// with golang.org/x/exp/trace, for comparison: that is what Go's own
// tooling costs per event.

var (
	bankOnce  sync.Once
	bankTrace []byte
)

func recordBank(tb testing.TB, transfers int) []byte {
	var buf bytes.Buffer
	if err := trace.Start(&buf); err != nil {
		tb.Fatal(err)
	}
	workload.Bank(4, transfers)
	if err := trace.Stop(); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

func bank(b *testing.B) []byte {
	bankOnce.Do(func() { bankTrace = recordBank(b, 50000) })
	return bankTrace
}

var (
	checkedOnce  sync.Once
	checkedTrace []byte
)

// checkedBank is the trace of workload.BankChecked, whose balances are
// race.Vars: the race checks run in the replay. It is recorded after the
// plain bank's, since declaring a Var starts the checks for the process.
func checkedBank(b *testing.B) []byte {
	bank(b)
	checkedOnce.Do(func() {
		var buf bytes.Buffer
		if err := trace.Start(&buf); err != nil {
			b.Fatal(err)
		}
		workload.BankChecked(4, 50000)
		if err := trace.Stop(); err != nil {
			b.Fatal(err)
		}
		checkedTrace = buf.Bytes()
	})
	return checkedTrace
}

// BenchmarkAnalyzeRace replays the checked bank: decoding, deadlock
// detection and the race checks (happens-before and lockset), which
// see about 4 accesses and 6 lock events per transfer.
func BenchmarkAnalyzeRace(b *testing.B) { benchAnalyze(b, checkedBank(b)) }

func BenchmarkAnalyze(b *testing.B) {
	data := bank(b)
	events := benchAnalyze(b, data)
	b.ReportMetric(float64(len(data))/float64(events), "B/event")
}

// benchAnalyze analyses the trace data of a correct program and returns
// its number of events.
func benchAnalyze(b *testing.B, data []byte) int64 {
	b.SetBytes(int64(len(data)))
	var events int64
	for b.Loop() {
		res, err := analyze.Reader("bank", bytes.NewReader(data), analyze.Options{})
		if err != nil {
			b.Fatal(err)
		}
		if len(res.Findings) != 0 {
			b.Fatalf("findings in a correct program: %v", res.Findings)
		}
		events = res.Files[0].Events
	}
	b.ReportMetric(float64(events)*float64(b.N)/b.Elapsed().Seconds(), "events/s")
	return events
}

func BenchmarkDecode(b *testing.B) {
	data := bank(b)
	b.SetBytes(int64(len(data)))
	var events int64
	for b.Loop() {
		r, err := trace.NewReader(bytes.NewReader(data))
		if err != nil {
			b.Fatal(err)
		}
		var e trace.Event
		for {
			if err := r.Read(&e); err == io.EOF {
				break
			} else if err != nil {
				b.Fatal(err)
			}
		}
		events = r.Events()
	}
	b.ReportMetric(float64(events)*float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

func BenchmarkParseRuntimeTrace(b *testing.B) {
	var buf bytes.Buffer
	if err := rtrace.Start(&buf); err != nil {
		b.Fatal(err)
	}
	workload.Bank(4, 50000)
	workload.PingPong(200000)
	rtrace.Stop()
	data := buf.Bytes()
	b.SetBytes(int64(len(data)))
	events := 0
	for b.Loop() {
		r, err := xtrace.NewReader(bytes.NewReader(data))
		if err != nil {
			b.Fatal(err)
		}
		events = 0
		for {
			if _, err := r.ReadEvent(); err == io.EOF {
				break
			} else if err != nil {
				b.Fatal(err)
			}
			events++
		}
	}
	b.ReportMetric(float64(events)*float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

// writeTemp writes data to a file for a streaming analysis.
func writeTemp(tb testing.TB, name string, data []byte) string {
	p := filepath.Join(tb.TempDir(), name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		tb.Fatal(err)
	}
	return p
}
