package leak_test

import (
	"fmt"
	"testing"

	"go.uber.org/goleak"

	"github.com/condiag/condiag/detect/leak"
)

// park starts n goroutines parked in parkedWorker until the returned
// function is called.
func park(n int) (release func()) {
	stop := make(chan struct{})
	started := make(chan struct{}, n)
	for range n {
		go parkedWorker(stop, started)
	}
	for range n {
		<-started
	}
	return func() { close(stop) }
}

func parkedWorker(stop chan struct{}, started chan struct{}) {
	started <- struct{}{}
	<-stop
}

const parkedTop = "github.com/condiag/condiag/detect/leak_test.parkedWorker"

// BenchmarkScan compares a check that finds nothing, with 10,000 parked
// goroutines that it is told to ignore (or none at all), against goleak's
// Find with the same option, in the same run.
//
//	go test -run=NONE -bench=Scan -count=10 ./detect/leak
func BenchmarkScan(b *testing.B) {
	for _, n := range []int{0, 10000} {
		benchParent := goleak.IgnoreCurrent() // the testing package's goroutines
		release := park(n)
		b.Run(fmt.Sprintf("parked=%d/impl=goleak", n), func(b *testing.B) {
			for b.Loop() {
				if err := goleak.Find(goleak.IgnoreTopFunction(parkedTop), benchParent); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(fmt.Sprintf("parked=%d/impl=condiag", n), func(b *testing.B) {
			for b.Loop() {
				if err := leak.Find(leak.IgnoreTopFunction(parkedTop)); err != nil {
					b.Fatal(err)
				}
			}
		})
		release()
	}
}

// BenchmarkLeaked compares a failing check with 10,000 leaked goroutines:
// the time until the report is there.
//
//	go test -run=NONE -bench=Leaked -benchtime=5x -count=5 ./detect/leak
func BenchmarkLeaked(b *testing.B) {
	benchParent := goleak.IgnoreCurrent() // the testing package's goroutines
	release := park(10000)
	defer release()
	b.Run("leaked=10000/impl=goleak", func(b *testing.B) {
		for b.Loop() {
			if err := goleak.Find(benchParent); err == nil {
				b.Fatal("goleak found no leak")
			}
		}
	})
	b.Run("leaked=10000/impl=condiag", func(b *testing.B) {
		for b.Loop() {
			err := leak.Find()
			if err == nil {
				b.Fatal("condiag found no leak")
			}
			if e, ok := err.(*leak.Error); !ok || len(e.Findings) != 1 {
				b.Fatalf("want one grouped finding, got %v", err)
			}
		}
	})
}
