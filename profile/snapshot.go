package profile

import "time"

// ClockTick is the unit of the utime, stime and starttime fields of
// /proc/PID/stat: USER_HZ, which is 100 on every Linux architecture.
const ClockTick = 10 * time.Millisecond

// Snapshot is the state of a process tree at one instant, as read by
// [Sampler.Sample].
type Snapshot struct {
	// Time is when the sample was started. It carries a monotonic
	// clock reading.
	Time time.Time
	// Uptime is the time since boot (CLOCK_BOOTTIME) when the sample was
	// started, on the same clock as [Proc.Start].
	Uptime time.Duration
	// Root is the pid the tree is rooted at.
	Root int
	// Procs holds the root and every descendant that could be read, in
	// breadth-first order from the root: a parent comes before its
	// children.
	Procs []Proc
	// VanishedProcs counts processes that were listed as children but
	// exited before they could be read. They are not in Procs.
	VanishedProcs int
	// VanishedThreads counts threads that were listed but exited before
	// they could be read. They are not in any Proc.Threads.
	VanishedThreads int
}

// Proc is one process in a [Snapshot].
type Proc struct {
	PID  int
	PPID int
	// Comm is the command name, at most 15 bytes (/proc/PID/comm).
	Comm string
	// Cmdline is the argument list, read once when the process is first
	// seen. It is empty for kernel threads and zombies. It is shared
	// between snapshots and must not be modified.
	Cmdline []string
	// State is the one-letter state from /proc/PID/stat: 'R', 'S', 'D',
	// 'Z' (zombie: exited, not yet reaped) and so on.
	State byte
	// Start is when the process started, as time since boot, with the
	// resolution of [ClockTick]. Together with PID it identifies the
	// process: a reused pid has a later Start.
	Start time.Duration
	// UserTicks and SystemTicks are the user and system CPU time of the
	// whole process, all threads live and exited, in clock ticks.
	UserTicks, SystemTicks uint64
	// ChildrenTicks is the CPU time of the children the process waited
	// for (cutime+cstime), theirs and their own waited-for children's,
	// in clock ticks. When a child is reaped between two snapshots, the
	// growth of its parent's ChildrenTicks tells the CPU it used to the
	// end, which its last snapshot could not ([Tree] uses it).
	ChildrenTicks uint64
	// CPU is the best estimate of the process's CPU time: the larger of
	// the sum of Threads[i].CPU and (UserTicks+SystemTicks)*ClockTick.
	// The thread sum is exact to the nanosecond when schedstat is
	// available but misses threads that have exited; the tick count
	// includes them but is truncated to clock ticks. Both count up to the
	// same kernel total (sum_exec_runtime), so the larger is the closer.
	CPU time.Duration
	// RSS is the resident set size in bytes.
	RSS uint64
	// NumThreads is the thread count reported by the kernel.
	NumThreads int
	// VoluntarySwitches and InvoluntarySwitches are the context switch
	// counts, summed over all threads.
	VoluntarySwitches, InvoluntarySwitches uint64
	// Threads holds the threads that could be read, in directory order.
	Threads []Thread
}

// Thread is one thread of a [Proc].
type Thread struct {
	TID  int
	Comm string
	// CPU is the thread's CPU time: the run time from
	// /proc/PID/task/TID/schedstat when the kernel provides it, otherwise
	// utime+stime from /proc/PID/task/TID/stat in whole clock ticks.
	CPU time.Duration
}

// nextProc extends s.Procs by one entry and returns it, reusing the
// Threads storage of an entry left from an earlier sample.
func (s *Snapshot) nextProc() *Proc {
	if len(s.Procs) < cap(s.Procs) {
		s.Procs = s.Procs[:len(s.Procs)+1]
		p := &s.Procs[len(s.Procs)-1]
		*p = Proc{Threads: p.Threads[:0]}
		return p
	}
	s.Procs = append(s.Procs, Proc{})
	return &s.Procs[len(s.Procs)-1]
}

// dropLast removes the entry returned by the last nextProc.
func (s *Snapshot) dropLast() {
	s.Procs = s.Procs[:len(s.Procs)-1]
}
