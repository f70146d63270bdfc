package analyze_test

import (
	"bytes"
	"testing"
	"time"

	"github.com/condiag/condiag/analyze"
	"github.com/condiag/condiag/internal/tracefmt"
	"github.com/condiag/condiag/report"
	"github.com/condiag/condiag/trace"
)

// FuzzReplay writes well-formed traces of arbitrary event sequences (any
// kind, goroutine, object and arguments, in time order) and replays them:
// whatever the events say, the analysis returns, without a panic or a
// hang.
//
//	go test -run=NONE -fuzz=FuzzReplay -fuzztime=60s ./analyze
func FuzzReplay(f *testing.F) {
	f.Add([]byte{1, 1, 0, 0, 0, 2, 1, 1, 1, 0, 24, 1, 1, 1, 0, 25, 2, 1, 1, 1, 27, 1, 1, 1, 0})
	f.Add(bytes.Repeat([]byte{6, 1, 2, 0, 0, 27, 2, 3, 1, 0, 28, 1, 2, 2, 0, 15, 1, 2, 0, 0}, 8))
	f.Fuzz(func(t *testing.T, data []byte) {
		var buf bytes.Buffer
		w, err := trace.NewWriter(&buf, trace.Header{Race: len(data)%2 == 0})
		if err != nil {
			t.Fatal(err)
		}
		st := w.Stack([]report.Frame{{Func: "main.f", File: "main.go", Line: 1}})
		kinds := byte(tracefmt.NumKinds - 1)
		for i := 0; i+5 <= len(data); i += 5 {
			d := data[i : i+5]
			e := trace.Event{
				Kind: trace.Kind(1 + d[0]%kinds),
				Time: time.Duration(i) * time.Microsecond,
				G:    uint64(1 + d[1]%4),
				Obj:  uint64(d[2] % 6),
				Arg:  int64(d[3]%8) - 1,
				Arg2: int64(d[4] % 5),
			}
			if d[4]&8 != 0 {
				e.Stack = st
			}
			if err := w.Write(e); err != nil {
				continue // a kind this version does not write
			}
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		if _, err := analyze.Reader("fuzz", &buf, analyze.Options{Contention: true}); err != nil {
			t.Logf("analysis: %v", err)
		}
	})
}
