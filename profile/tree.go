package profile

import (
	"slices"
	"time"
)

// Tree accumulates successive [Snapshot]s of one process tree into totals
// per process ever seen. A process that exits keeps the values of the last
// snapshot it was in.
//
// The zero value is an empty Tree ready to use. A Tree is not safe for
// concurrent use.
type Tree struct {
	// Window makes the CPU figures those of the time the snapshots
	// cover: the CPU processes had used when the first snapshot saw them
	// is left out (for a tree already running, as condiag profile -p
	// samples). Without it they count from each process's start. Set it
	// before the first Add.
	Window bool

	// Invariants: procs holds one entry per (pid, start) ever added;
	// every entry's CPU and each thread's CPU never decrease.
	procs      map[procKey]*procEntry
	lastUptime time.Duration // Uptime of the last snapshot added
	samples    int
}

type procKey struct {
	pid   int
	start time.Duration
}

type procEntry struct {
	stats    ProcStats
	base     time.Duration         // CPU when first seen in the first snapshot, with Window
	baseTh   map[int]time.Duration // the same for its threads
	firstUp  time.Duration         // Uptime when first seen
	children uint64                // ChildrenTicks at the last snapshot, and before it
	prevKids uint64
	rate     time.Duration // CPU used between its last two snapshots
	lastCPU  time.Duration
	lastUp   time.Duration // Uptime of the last snapshot the process was in
	threads  map[int]*ThreadStats
	seen     int // index of the last snapshot the process was in
}

// ProcStats is what a [Tree] knows about one process.
type ProcStats struct {
	PID, PPID int
	Comm      string
	Cmdline   []string
	// Start is when the process started, as time since boot.
	Start time.Duration
	// FirstSeen and LastSeen are the times of the first and last
	// snapshots the process was in.
	FirstSeen, LastSeen time.Time
	// Exited reports whether the process was missing from the last
	// snapshot added (or was a zombie in it).
	Exited bool
	// CPU is the CPU time at the last snapshot the process was in.
	CPU time.Duration
	// AvgCores is CPU divided by the time from Start to the last
	// snapshot the process was in.
	AvgCores float64
	// PeakCores is the largest CPU time per wall time between two
	// consecutive snapshots (or between the start of the process and the
	// first snapshot when it started after the previous one).
	PeakCores float64
	// PeakRSS is the largest RSS in bytes and PeakThreads the largest
	// thread count seen.
	PeakRSS     uint64
	PeakThreads int
	// VoluntarySwitches and InvoluntarySwitches are the context switch
	// counts at the last snapshot the process was in.
	VoluntarySwitches, InvoluntarySwitches uint64
	// Threads holds every thread ever seen, sorted by TID.
	Threads []ThreadStats
}

// ThreadStats is what a [Tree] knows about one thread.
type ThreadStats struct {
	TID  int
	Comm string
	// CPU is the thread's CPU time at the last snapshot it was in.
	CPU time.Duration
}

// Add folds snap into the tree. Snapshots must be added in the order they
// were taken. Add copies what it keeps, so snap may be reused afterwards.
func (t *Tree) Add(snap *Snapshot) {
	if t.procs == nil {
		t.procs = map[procKey]*procEntry{}
	}
	t.samples++
	for i := range snap.Procs {
		t.addProc(&snap.Procs[i], snap)
	}
	for _, e := range t.procs {
		if e.seen != t.samples {
			e.stats.Exited = true
		}
	}
	t.reaped()
	t.lastUptime = snap.Uptime
}

func (t *Tree) addProc(p *Proc, snap *Snapshot) {
	key := procKey{p.PID, p.Start}
	e := t.procs[key]
	if e == nil {
		e = &procEntry{threads: map[int]*ThreadStats{}, firstUp: snap.Uptime}
		e.stats.FirstSeen = snap.Time
		e.stats.Start = p.Start
		if t.Window && t.samples == 1 {
			// Running before the window: its CPU until now is not the
			// window's.
			e.base, e.baseTh = p.CPU, map[int]time.Duration{}
			for _, th := range p.Threads {
				e.baseTh[th.TID] = th.CPU
			}
		}
		// A process that started since the previous snapshot ran for
		// the whole of its life: count that interval for the peak.
		if t.samples > 1 && p.Start > t.lastUptime {
			e.lastUp = p.Start
		}
		t.procs[key] = e
	}
	st := &e.stats
	cpu := max(p.CPU, st.CPU)
	if e.lastUp > 0 && snap.Uptime > e.lastUp {
		cores := float64(cpu-e.lastCPU) / float64(snap.Uptime-e.lastUp)
		st.PeakCores = max(st.PeakCores, cores)
	}
	if life := snap.Uptime - p.Start; life > 0 {
		st.AvgCores = float64(cpu) / float64(life)
	}
	st.PID, st.PPID, st.Comm, st.Cmdline = p.PID, p.PPID, p.Comm, p.Cmdline
	st.LastSeen, st.CPU, st.Exited = snap.Time, cpu, p.State == 'Z'
	st.PeakRSS = max(st.PeakRSS, p.RSS)
	st.PeakThreads = max(st.PeakThreads, p.NumThreads)
	st.VoluntarySwitches, st.InvoluntarySwitches = p.VoluntarySwitches, p.InvoluntarySwitches
	if e.seen > 0 {
		e.rate = cpu - e.lastCPU
	}
	e.prevKids, e.children = e.children, p.ChildrenTicks
	if e.seen == 0 {
		e.prevKids = p.ChildrenTicks
	}
	e.lastCPU, e.lastUp, e.seen = cpu, snap.Uptime, t.samples
	for _, th := range p.Threads {
		ts := e.threads[th.TID]
		if ts == nil {
			ts = &ThreadStats{TID: th.TID}
			e.threads[th.TID] = ts
		}
		ts.Comm = th.Comm
		ts.CPU = max(ts.CPU, th.CPU)
	}
}

// Processes returns every process ever seen, sorted by pid and, for a
// reused pid, by start time.
func (t *Tree) Processes() []ProcStats {
	out := make([]ProcStats, 0, len(t.procs))
	for _, e := range t.procs {
		ps := e.stats
		ps.Threads = make([]ThreadStats, 0, len(e.threads))
		for _, ts := range e.threads {
			th := *ts
			th.CPU -= min(th.CPU, e.baseTh[th.TID])
			ps.Threads = append(ps.Threads, th)
		}
		if e.base > 0 {
			ps.CPU -= min(ps.CPU, e.base)
			if life := e.lastUp - e.firstUp; life > 0 {
				ps.AvgCores = float64(ps.CPU) / float64(life)
			} else {
				ps.AvgCores = 0
			}
		}
		slices.SortFunc(ps.Threads, func(a, b ThreadStats) int { return a.TID - b.TID })
		out = append(out, ps)
	}
	slices.SortFunc(out, func(a, b ProcStats) int {
		if a.PID != b.PID {
			return a.PID - b.PID
		}
		return int(a.Start - b.Start)
	})
	return out
}

// Reaped tells t that process pid, which it samples, exited and was
// waited for, and that the kernel accounted cpu to it (wait4's rusage:
// user and system time, its own and that of the children it waited
// for). The children that exited after the last snapshot get what the
// samples could not see: the part of cpu that neither the process's own
// CPU nor its children reaped earlier account for, shared among them by
// the CPU each used in its last interval. The process's own CPU after
// its last snapshot is taken to be small (a parent waiting for its
// workers).
func (t *Tree) Reaped(pid int, cpu time.Duration) {
	var root *procEntry
	for _, e := range t.procs {
		if e.stats.PID == pid && (root == nil || e.seen > root.seen) {
			root = e
		}
	}
	if root == nil {
		return
	}
	root.stats.Exited = true
	rest := cpu - root.lastCPU - time.Duration(root.children)*ClockTick
	var kids []*procEntry
	for _, e := range t.procs {
		if e.stats.PPID == pid && e.seen == t.samples && e != root {
			kids = append(kids, e)
		}
	}
	t.share(kids, rest, bootTime())
}

// share adds to the CPU of kids, which exited after their last snapshot,
// what they used since: grew is the CPU their parent's accounting says
// they used in all.
func (t *Tree) share(kids []*procEntry, grew, end time.Duration) {
	var known, rates time.Duration
	for _, k := range kids {
		// A kid's accounting includes its own children's, those it
		// reaped before its last snapshot and those it reaped after:
		// the tree's figures for them, when larger.
		known += k.lastCPU + max(time.Duration(k.children)*ClockTick, t.descendantsCPU(k, 0))
		rates += max(k.rate, 0)
	}
	extra := grew - known
	if extra <= 0 || len(kids) == 0 {
		return
	}
	for _, k := range kids {
		part := extra / time.Duration(len(kids))
		if rates > 0 {
			part = time.Duration(float64(extra) * float64(max(k.rate, 0)) / float64(rates))
		}
		k.lastCPU += part
		k.stats.CPU = k.lastCPU
		k.stats.Exited = true
		// It ran until it was found gone, at end at the latest.
		if life := end - k.stats.Start; life > 0 {
			k.stats.AvgCores = float64(k.stats.CPU) / float64(life)
		}
	}
}

// descendantsCPU is the CPU of the processes of the tree below e.
func (t *Tree) descendantsCPU(e *procEntry, depth int) time.Duration {
	if depth > 64 {
		return 0 // a cycle of reused pids
	}
	var d time.Duration
	for _, c := range t.procs {
		if c != e && c.stats.PPID == e.stats.PID && c.stats.Start >= e.stats.Start {
			d += c.stats.CPU + t.descendantsCPU(c, depth+1)
		}
	}
	return d
}

// reaped completes the CPU of the processes that left the tree since the
// previous snapshot, from their parents: a parent's ChildrenTicks grew by
// what its children reaped in between used, theirs and their own reaped
// children's, to the end. The growth beyond what their last snapshots
// said is shared among them by the CPU each used in its last interval;
// what their own children used (their ChildrenTicks) is not theirs.
func (t *Tree) reaped() {
	gone := map[int][]*procEntry{} // by parent pid
	for _, e := range t.procs {
		if e.seen == t.samples-1 && t.samples > 1 {
			gone[e.stats.PPID] = append(gone[e.stats.PPID], e)
		}
	}
	for ppid, kids := range gone {
		var parent *procEntry
		for _, e := range t.procs {
			if e.stats.PID == ppid && e.seen == t.samples {
				parent = e
			}
		}
		if parent == nil || parent.children < parent.prevKids {
			continue // the parent is gone too, or the counter is odd
		}
		t.share(kids, time.Duration(parent.children-parent.prevKids)*ClockTick, parent.lastUp)
	}
}
