// Package profile samples a process tree from procfs: a root process and
// every descendant as they come and go, with per-process and per-thread
// CPU time, resident memory, thread counts and context switches.
//
// A [Sampler] reads one [Snapshot] of the tree per call; a [Tree] folds
// successive snapshots into totals per process ever seen, keeping the last
// values of processes that exit:
//
//	s, err := profile.NewSampler(cmd.Process.Pid)
//	if err != nil {
//		return err
//	}
//	var tree profile.Tree
//	err = s.Run(ctx, 100*time.Millisecond, tree.Add)
//	for _, p := range tree.Processes() {
//		fmt.Println(p.PID, p.Comm, p.CPU, p.PeakCores, p.PeakRSS)
//	}
//
// CPU time comes from /proc/PID/task/TID/schedstat in nanoseconds where the
// kernel provides it, and from the clock ticks of /proc/PID/stat
// otherwise; see [Proc.CPU]. Processes and threads that exit while being
// read are skipped and counted, not reported as errors.
package profile
