package analyze_test

import (
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"testing"

	"github.com/condiag/condiag/analyze"
)

// The memory test runs this test binary as a child process that
// analyses one trace, and reads its peak resident set size.
const analyzeHelperEnv = "CONDIAG_ANALYZE_TEST_HELPER"

func TestMain(m *testing.M) {
	if path := os.Getenv(analyzeHelperEnv); path != "" {
		res, err := analyze.Files([]string{path}, analyze.Options{})
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		fmt.Println(res.Files[0].Events, ms.HeapSys>>10, vmHWM())
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// vmHWM returns the peak resident set size of this process in KB, from
// /proc (getrusage's counts what the process had before exec).
func vmHWM() int64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return -1
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			var kb int64
			fmt.Sscan(rest, &kb)
			return kb
		}
	}
	return -1
}

// peakRSS analyses the trace at path in a child process and returns its
// peak resident set size in KB, the events and the heap the runtime
// obtained, in KB.
func peakRSS(t testing.TB, path string) (rss int64, events, heap int64) {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), analyzeHelperEnv+"="+path)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("analysing %s: %v", path, err)
	}
	if _, err := fmt.Sscan(string(out), &events, &heap, &rss); err != nil || rss <= 0 {
		t.Fatalf("helper output %q: %v", out, err)
	}
	return rss, events, heap
}

// TestMemoryDoesNotGrowWithEvents analyses traces of the same workload,
// one ten times longer than the other, each in a process of its own: the
// analysis streams, so the memory it uses must not grow with the number
// of events (the issue asks for less than 1.5 times).
func TestMemoryDoesNotGrowWithEvents(t *testing.T) {
	if testing.Short() {
		t.Skip("records 10 million events")
	}
	small := writeTemp(t, "small.trace", recordBank(t, 40000))
	large := writeTemp(t, "large.trace", recordBank(t, 400000))
	rs, es, hs := peakRSS(t, small)
	rl, el, hl := peakRSS(t, large)
	t.Logf("%d events: peak RSS %d KB, heap %d KB; %d events: peak RSS %d KB, heap %d KB (%.2fx)", es, rs, hs, el, rl, hl, float64(rl)/float64(rs))
	if el < 9*es {
		t.Fatalf("the large trace has %d events, the small one %d: want ten times as many", el, es)
	}
	if float64(rl) > 1.5*float64(rs) {
		t.Errorf("ten times the events took %.2f times the memory (peak RSS %d KB against %d KB), want less than 1.5", float64(rl)/float64(rs), rl, rs)
	}
}
