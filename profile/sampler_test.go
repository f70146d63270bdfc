package profile_test

import (
	"errors"
	"math"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/condiag/condiag/profile"
)

func find(snap *profile.Snapshot, pid int) *profile.Proc {
	for i := range snap.Procs {
		if snap.Procs[i].PID == pid {
			return &snap.Procs[i]
		}
	}
	return nil
}

func newSampler(t *testing.T, root int, opts ...profile.Option) *profile.Sampler {
	t.Helper()
	s, err := profile.NewSampler(root, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSampleTree(t *testing.T) {
	for _, tt := range []struct {
		name string
		opts []profile.Option
	}{
		{name: "children"},
		{name: "parent-scan", opts: []profile.Option{profile.WithParentScan()}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := startChild(t, "parent")
			grandchild := c.pidLine(t)
			s := newSampler(t, os.Getpid(), tt.opts...)
			// The grandchild's pid is printed once it is started, which
			// may be before it has exec'd its program (no RSS or command
			// line of its own yet): sample until it has.
			var snap *profile.Snapshot
			for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
				var err error
				if snap, err = s.Sample(); err != nil {
					t.Fatal(err)
				}
				if g := find(snap, grandchild); (g != nil && g.RSS > 0 && len(g.Cmdline) > 0) || time.Now().After(deadline) {
					break
				}
			}
			if snap.Procs[0].PID != os.Getpid() {
				t.Errorf("first process is %d, want the root %d", snap.Procs[0].PID, os.Getpid())
			}
			p := find(snap, c.cmd.Process.Pid)
			if p == nil {
				t.Fatalf("child %d not in snapshot %+v", c.cmd.Process.Pid, snap.Procs)
			}
			if p.PPID != os.Getpid() {
				t.Errorf("child ppid = %d, want %d", p.PPID, os.Getpid())
			}
			g := find(snap, grandchild)
			if g == nil {
				t.Fatalf("grandchild %d not in snapshot", grandchild)
			}
			if g.PPID != p.PID {
				t.Errorf("grandchild ppid = %d, want %d", g.PPID, p.PID)
			}
			// The count (stat) and the threads (task/) are read one after
			// the other, while a starting Go program may add threads.
			if g.NumThreads < 1 || len(g.Threads) < 1 {
				t.Errorf("grandchild has NumThreads %d and %d threads read", g.NumThreads, len(g.Threads))
			}
			if g.RSS == 0 {
				t.Error("grandchild RSS is 0")
			}
			if len(g.Cmdline) == 0 || g.Cmdline[0] != os.Args[0] {
				t.Errorf("grandchild cmdline = %q, want %q first", g.Cmdline, os.Args[0])
			}
			if r := snap.Procs[0]; r.VoluntarySwitches == 0 || len(r.Threads) < 2 {
				t.Errorf("test process has %d voluntary context switches and %d threads, want more",
					r.VoluntarySwitches, len(r.Threads))
			}
		})
	}
}

func TestSampleExitedChild(t *testing.T) {
	c := startChild(t, "parent")
	grandchild := c.pidLine(t)
	s := newSampler(t, os.Getpid())
	var tree profile.Tree
	snap, err := s.Sample()
	if err != nil {
		t.Fatal(err)
	}
	tree.Add(snap)
	before := find(snap, grandchild)
	if before == nil {
		t.Fatalf("grandchild %d not in first snapshot", grandchild)
	}
	c.exit(t)
	snap, err = s.Sample()
	if err != nil {
		t.Fatalf("sampling after children exited: %v", err)
	}
	if p := find(snap, grandchild); p != nil {
		t.Fatalf("exited grandchild still in snapshot: %+v", p)
	}
	tree.Add(snap)
	for _, ps := range tree.Processes() {
		if ps.PID != grandchild {
			continue
		}
		if !ps.Exited {
			t.Error("grandchild not marked exited")
		}
		if ps.CPU != before.CPU || ps.PeakRSS != before.RSS || ps.PPID != before.PPID {
			t.Errorf("grandchild kept CPU %v RSS %d PPID %d, want the last values %v %d %d",
				ps.CPU, ps.PeakRSS, ps.PPID, before.CPU, before.RSS, before.PPID)
		}
		return
	}
	t.Fatalf("exited grandchild %d not in tree", grandchild)
}

// TestCPUMatchesRusage checks that the CPU time sampled just before a busy
// child exits is within 5% of what wait4 reports for it.
func TestCPUMatchesRusage(t *testing.T) {
	c := startChild(t, "busy")
	s := newSampler(t, c.cmd.Process.Pid)
	var tree profile.Tree
	first, err := s.Sample()
	if err != nil {
		t.Fatal(err)
	}
	tree.Add(first)
	if got := c.line(t); got != "done" {
		t.Fatalf("child printed %q, want done", got)
	}
	last, err := s.Sample()
	if err != nil {
		t.Fatal(err)
	}
	tree.Add(last)
	p := find(last, c.cmd.Process.Pid)
	if p.CPU <= first.Procs[0].CPU {
		t.Errorf("CPU of busy child did not grow: %v then %v", first.Procs[0].CPU, p.CPU)
	}
	ru := c.exit(t).SysUsage().(*syscall.Rusage)
	kernel := time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	t.Logf("sampled %v (ticks %v, threads %v), kernel %v, schedstat %v",
		p.CPU, time.Duration(p.UserTicks+p.SystemTicks)*profile.ClockTick, threadSum(p), kernel, s.HasSchedstat())
	if kernel < 500*time.Millisecond {
		t.Skipf("child used only %v of CPU in its second of busy looping: the machine is too loaded to compare", kernel)
	}
	if diff := math.Abs(float64(p.CPU-kernel)) / float64(kernel); diff > 0.05 {
		t.Errorf("sampled CPU %v differs from rusage %v by %.1f%%, want at most 5%%", p.CPU, kernel, 100*diff)
	}
	if s.HasSchedstat() {
		if diff := math.Abs(float64(threadSum(p)-kernel)) / float64(kernel); diff > 0.05 {
			t.Errorf("schedstat CPU %v differs from rusage %v by %.1f%%", threadSum(p), kernel, 100*diff)
		}
	}
	ps := tree.Processes()[0]
	if ps.PeakCores <= 0 || ps.PeakCores > 1.5 || ps.AvgCores <= 0 || ps.AvgCores > ps.PeakCores*1.01 {
		t.Errorf("AvgCores %.2f PeakCores %.2f; want 0 < avg <= peak, peak about one core", ps.AvgCores, ps.PeakCores)
	}
}

func threadSum(p *profile.Proc) time.Duration {
	var sum time.Duration
	for _, th := range p.Threads {
		sum += th.CPU
	}
	return sum
}

func TestNewSamplerErrors(t *testing.T) {
	// A pid above the kernel limit (PID_MAX_LIMIT, 2^22) never exists.
	const missing = 1<<22 + 1
	for _, tt := range []struct {
		name    string
		give    int
		opts    []profile.Option
		wantErr string
		wantIs  error
	}{
		{name: "missing", give: missing, wantErr: "process 4194305", wantIs: profile.ErrNoProcess},
		{name: "zero", give: 0, wantErr: "invalid root pid 0"},
		{name: "negative", give: -3, wantErr: "invalid root pid -3"},
		{name: "bad mount", give: 1, opts: []profile.Option{profile.WithProcFS("/nonexistent")}, wantErr: "/nonexistent"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := profile.NewSampler(tt.give, tt.opts...)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("NewSampler(%d) error = %v, want it to contain %q", tt.give, err, tt.wantErr)
			}
			if tt.wantIs != nil && !errors.Is(err, tt.wantIs) {
				t.Errorf("error %v is not %v", err, tt.wantIs)
			}
		})
	}
}

func TestSampleRootReaped(t *testing.T) {
	c := startChild(t, "sleep")
	s := newSampler(t, c.cmd.Process.Pid)
	c.exit(t)
	_, err := s.Sample()
	if !errors.Is(err, profile.ErrNoProcess) {
		t.Fatalf("Sample after root was reaped: error = %v, want ErrNoProcess", err)
	}
}
