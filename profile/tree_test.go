package profile_test

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/condiag/condiag/profile"
)

func snapAt(up time.Duration, procs ...profile.Proc) *profile.Snapshot {
	return &profile.Snapshot{Time: time.Unix(0, 0).Add(up), Uptime: up, Procs: procs}
}

func TestTreePeaks(t *testing.T) {
	var tree profile.Tree
	a := profile.Proc{PID: 10, Start: 0, Comm: "a", RSS: 100, NumThreads: 1, CPU: 0}
	tree.Add(snapAt(time.Second, a))
	a.CPU, a.RSS, a.NumThreads = 500*time.Millisecond, 300, 4 // half a core
	// b starts 0.5 s after the first snapshot and uses a full core.
	b := profile.Proc{PID: 5, Start: 1500 * time.Millisecond, CPU: 500 * time.Millisecond}
	tree.Add(snapAt(2*time.Second, a, b))
	a.CPU, a.RSS, a.NumThreads = 400*time.Millisecond, 200, 2 // going backwards is ignored
	tree.Add(snapAt(3*time.Second, a))
	got := tree.Processes()
	if len(got) != 2 || got[0].PID != 5 || got[1].PID != 10 {
		t.Fatalf("Processes = %+v, want pids 5 and 10", got)
	}
	pb, pa := got[0], got[1]
	if !pb.Exited || pa.Exited {
		t.Errorf("Exited = %v for b, %v for a; want true, false", pb.Exited, pa.Exited)
	}
	if pa.CPU != 500*time.Millisecond || pa.PeakRSS != 300 || pa.PeakThreads != 4 {
		t.Errorf("a: CPU %v PeakRSS %d PeakThreads %d, want 500ms 300 4", pa.CPU, pa.PeakRSS, pa.PeakThreads)
	}
	if !near(pa.PeakCores, 0.5) || !near(pa.AvgCores, 0.5/3) {
		t.Errorf("a: PeakCores %.3f AvgCores %.3f, want 0.5 and 0.167", pa.PeakCores, pa.AvgCores)
	}
	if !near(pb.PeakCores, 1) || !near(pb.AvgCores, 1) {
		t.Errorf("b: PeakCores %.3f AvgCores %.3f, want 1 and 1", pb.PeakCores, pb.AvgCores)
	}
}

func near(a, b float64) bool { return a > b-1e-9 && a < b+1e-9 }

func TestRun(t *testing.T) {
	c := startChild(t, "sleep")
	s, err := profile.NewSampler(c.cmd.Process.Pid)
	if err != nil {
		t.Fatal(err)
	}
	var tree profile.Tree
	n := 0
	err = s.Run(context.Background(), time.Millisecond, func(snap *profile.Snapshot) {
		tree.Add(snap)
		if n++; n == 3 {
			c.exit(t) // Run ends once the root is reaped
		}
	})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if n != 3 {
		t.Errorf("Run called fn %d times, want 3", n)
	}
	// (Its CPU may read 0: three samples a millisecond apart can all
	// come before the child was first descheduled.)
	if ps := tree.Processes(); len(ps) != 1 || ps[0].PID != c.cmd.Process.Pid || ps[0].PeakThreads == 0 {
		t.Errorf("tree = %+v, want the child", ps)
	}
	if err := s.Run(context.Background(), 0, nil); err == nil {
		t.Error("Run with interval 0 succeeded, want an error")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	s, _ = profile.NewSampler(os.Getpid())
	if err := s.Run(ctx, time.Hour, func(*profile.Snapshot) {}); err != nil {
		t.Errorf("Run with a done context: %v, want nil", err)
	}
}

func ExampleTree() {
	var tree profile.Tree
	tree.Add(&profile.Snapshot{Uptime: 1 * time.Second, Procs: []profile.Proc{
		{PID: 7, Comm: "worker", CPU: 100 * time.Millisecond, RSS: 1 << 20},
	}})
	tree.Add(&profile.Snapshot{Uptime: 2 * time.Second, Procs: []profile.Proc{
		{PID: 7, Comm: "worker", CPU: 900 * time.Millisecond, RSS: 3 << 20},
	}})
	tree.Add(&profile.Snapshot{Uptime: 3 * time.Second}) // worker has exited
	for _, p := range tree.Processes() {
		fmt.Printf("%d %s cpu=%v peak=%.1f cores rss=%dMiB exited=%v\n",
			p.PID, p.Comm, p.CPU, p.PeakCores, p.PeakRSS>>20, p.Exited)
	}
	// Output:
	// 7 worker cpu=900ms peak=0.8 cores rss=3MiB exited=true
}

func TestTreeWindow(t *testing.T) {
	now := time.Now()
	snap := func(at time.Duration, cpu time.Duration) *profile.Snapshot {
		return &profile.Snapshot{Time: now.Add(at), Uptime: time.Hour + at, Procs: []profile.Proc{
			{PID: 1, CPU: cpu, Threads: []profile.Thread{{TID: 1, CPU: cpu}}},
		}}
	}
	for _, window := range []bool{false, true} {
		tr := profile.Tree{Window: window}
		tr.Add(snap(0, 10*time.Second))
		tr.Add(snap(time.Second, 10*time.Second+500*time.Millisecond))
		p := tr.Processes()[0]
		want := 10*time.Second + 500*time.Millisecond
		if window {
			want = 500 * time.Millisecond
		}
		if p.CPU != want || p.Threads[0].CPU != want {
			t.Errorf("Window %v: CPU %v, thread %v; want %v", window, p.CPU, p.Threads[0].CPU, want)
		}
		if window && (p.AvgCores < 0.49 || p.AvgCores > 0.51) {
			t.Errorf("Window: AvgCores %v, want 0.5", p.AvgCores)
		}
	}
}
