package profile_test

import (
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"

	"github.com/condiag/condiag/profile"
)

// BenchmarkSample100 measures one sample of a tree of the benchmark process
// and 100 sleeping children. cpu-ns/op is the CPU time (user+system) the
// sampler used per sample; core-%@10Hz is the share of one core that
// sampling ten times a second costs.
func BenchmarkSample100(b *testing.B) {
	for range 100 {
		cmd := exec.Command("sleep", "60")
		if err := cmd.Start(); err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() {
			cmd.Process.Kill()
			cmd.Wait()
		})
	}
	s, err := profile.NewSampler(os.Getpid())
	if err != nil {
		b.Fatal(err)
	}
	var snap profile.Snapshot
	if err := s.SampleInto(&snap); err != nil {
		b.Fatal(err)
	}
	if len(snap.Procs) != 101 {
		b.Fatalf("sampled %d processes, want 101", len(snap.Procs))
	}
	b.Run("sample", func(b *testing.B) {
		b.ReportAllocs()
		cpu0 := selfCPU(b)
		for b.Loop() {
			if err := s.SampleInto(&snap); err != nil {
				b.Fatal(err)
			}
		}
		cpuPerOp := float64(selfCPU(b)-cpu0) / float64(b.N)
		b.ReportMetric(cpuPerOp, "cpu-ns/op")
		b.ReportMetric(cpuPerOp*10/1e9*100, "core-%@10Hz")
	})
	// condiag run polls the tree's parents every 5 ms between samples.
	b.Run("reaped", func(b *testing.B) {
		b.ReportAllocs()
		cpu0 := selfCPU(b)
		for b.Loop() {
			if s.Reaped() {
				b.Fatal("a child was reaped")
			}
		}
		cpuPerOp := float64(selfCPU(b)-cpu0) / float64(b.N)
		b.ReportMetric(cpuPerOp, "cpu-ns/op")
		b.ReportMetric(cpuPerOp*200/1e9*100, "core-%@200Hz")
	})
}

func selfCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
