package profile

import (
	"fmt"
	"strings"
	"time"

	"github.com/google/pprof/profile"
)

// CPUProfile returns the CPU time of the processes of t in the pprof
// format: one sample a thread, its CPU time in nanoseconds, at one
// location named after its process ("pid 1234: cmd args"), labelled with
// the process's pid and command and the thread's tid and name. So
// `go tool pprof -top` ranks the processes by CPU, and `-tags` splits
// each by thread. start and d are the time span the samples cover.
func (t *Tree) CPUProfile(start time.Time, d time.Duration) *profile.Profile {
	p := &profile.Profile{
		SampleType:        []*profile.ValueType{{Type: "cpu", Unit: "nanoseconds"}},
		DefaultSampleType: "cpu",
		PeriodType:        &profile.ValueType{Type: "cpu", Unit: "nanoseconds"},
		Period:            1,
		TimeNanos:         start.UnixNano(),
		DurationNanos:     int64(d),
	}
	for _, ps := range t.Processes() {
		cmd := strings.Join(ps.Cmdline, " ")
		if cmd == "" {
			cmd = ps.Comm
		}
		name := fmt.Sprintf("pid %d: %s", ps.PID, cmd)
		fn := &profile.Function{ID: uint64(len(p.Function) + 1), Name: name, SystemName: name}
		loc := &profile.Location{ID: uint64(len(p.Location) + 1), Line: []profile.Line{{Function: fn}}}
		p.Function = append(p.Function, fn)
		p.Location = append(p.Location, loc)
		sample := func(cpu time.Duration, tid int, thread string) {
			p.Sample = append(p.Sample, &profile.Sample{
				Location: []*profile.Location{loc},
				Value:    []int64{int64(cpu)},
				Label:    map[string][]string{"command": {cmd}, "thread": {thread}},
				NumLabel: map[string][]int64{"pid": {int64(ps.PID)}, "ppid": {int64(ps.PPID)}, "tid": {int64(tid)}},
			})
		}
		var threads time.Duration
		for _, th := range ps.Threads {
			if th.CPU > 0 {
				sample(th.CPU, th.TID, th.Comm)
				threads += th.CPU
			}
		}
		// CPU the threads do not account for: threads that exited
		// between samples, or a process whose threads were not read.
		if rest := ps.CPU - threads; rest > 0 {
			sample(rest, 0, "(exited threads)")
		}
	}
	return p
}
