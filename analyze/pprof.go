package analyze

import (
	"strconv"
	"time"

	"github.com/condiag/condiag/report"
	"github.com/google/pprof/profile"
)

// ContentionProfile returns the contention profile of the traces, in the
// pprof format (as Go's mutex profile): for each acquisition stack of a
// condiag lock that had to wait, the contentions (count) and the delay
// (nanoseconds) it waited, labelled with the process and the lock. The
// analysis must have been run with [Options.Waits]. `go tool pprof` reads
// it; `-sample_index=contentions` switches from the delay.
func (r *Result) ContentionProfile() *profile.Profile {
	p := &profile.Profile{
		SampleType: []*profile.ValueType{
			{Type: "contentions", Unit: "count"},
			{Type: "delay", Unit: "nanoseconds"},
		},
		DefaultSampleType: "delay",
		PeriodType:        &profile.ValueType{Type: "contentions", Unit: "count"},
		Period:            1,
	}
	var start time.Time
	var dur time.Duration
	for _, f := range r.Files {
		if t := f.Header.Start; !t.IsZero() && (start.IsZero() || t.Before(start)) {
			start = t
		}
		dur = max(dur, f.Duration)
	}
	if !start.IsZero() {
		p.TimeNanos = start.UnixNano()
	}
	p.DurationNanos = int64(dur)

	funcs := map[[2]string]*profile.Function{}
	locs := map[report.Frame]*profile.Location{}
	location := func(fr report.Frame) *profile.Location {
		if l, ok := locs[fr]; ok {
			return l
		}
		k := [2]string{fr.Func, fr.File}
		fn, ok := funcs[k]
		if !ok {
			fn = &profile.Function{ID: uint64(len(p.Function) + 1), Name: fr.Func, SystemName: fr.Func, Filename: fr.File}
			funcs[k] = fn
			p.Function = append(p.Function, fn)
		}
		l := &profile.Location{ID: uint64(len(p.Location) + 1), Line: []profile.Line{{Function: fn, Line: int64(fr.Line)}}}
		locs[fr] = l
		p.Location = append(p.Location, l)
		return l
	}
	for _, w := range r.Waits {
		s := &profile.Sample{
			Value:    []int64{w.Contentions, int64(w.Delay)},
			Label:    map[string][]string{"lock": {w.Lock.Label()}, "class": {w.Lock.Class}},
			NumLabel: map[string][]int64{"pid": {int64(w.Process)}},
		}
		for _, fr := range w.Stack {
			s.Location = append(s.Location, location(fr))
		}
		if len(s.Location) == 0 {
			s.Location = append(s.Location, location(report.Frame{Func: "unknown (" + w.Lock.Label() + ", pid " + strconv.Itoa(w.Process) + ")"}))
		}
		p.Sample = append(p.Sample, s)
	}
	return p
}
