package profile

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// writeProc writes the files of one process into a fake procfs at dir.
// tids lists its threads and children the children file of each thread;
// a thread without an entry in run has no schedstat file (it exited
// while being listed).
func writeProc(t *testing.T, dir string, pid, ppid int, comm string, tids []int, run map[int]string, children map[int]string) {
	t.Helper()
	stat := fmt.Sprintf("%d (%s) S %d 0 0 0 0 0 0 0 0 0 30 20 0 0 20 0 %d 0 500 0 3\n", pid, comm, ppid, len(tids))
	files := map[string]string{
		"stat":      stat,
		"status":    "Name:\t" + comm + "\nvoluntary_ctxt_switches:\t5\nnonvoluntary_ctxt_switches:\t2\n",
		"schedstat": "1000 0 1\n",
		"cmdline":   comm + "\x00-x\x00",
	}
	for _, tid := range tids {
		task := filepath.Join("task", fmt.Sprint(tid))
		files[filepath.Join(task, "comm")] = fmt.Sprintf("%s-%d\n", comm, tid)
		files[filepath.Join(task, "children")] = children[tid]
		if r, ok := run[tid]; ok {
			files[filepath.Join(task, "schedstat")] = r
		}
	}
	for name, text := range files {
		path := filepath.Join(dir, fmt.Sprint(pid), name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestSampleFixture reads a fake procfs in which process 101 is listed as a
// child but gone, and thread 104 is listed but gone.
func TestSampleFixture(t *testing.T) {
	dir := t.TempDir()
	writeProc(t, dir, 100, 1, "root", []int{100}, map[int]string{100: "1000 0 1\n"}, map[int]string{100: "101 102 "})
	writeProc(t, dir, 102, 100, "worker", []int{102, 103, 104},
		map[int]string{102: "7000000 0 3\n", 103: "400000000 0 9\n"}, nil)
	s, err := NewSampler(100, WithProcFS(dir))
	if err != nil {
		t.Fatal(err)
	}
	if !s.HasSchedstat() || !s.HasChildrenFiles() {
		t.Fatalf("HasSchedstat %v, HasChildrenFiles %v, want both", s.HasSchedstat(), s.HasChildrenFiles())
	}
	snap, err := s.Sample()
	if err != nil {
		t.Fatal(err)
	}
	want := []Proc{{
		PID: 100, PPID: 1, Comm: "root", Cmdline: []string{"root", "-x"}, State: 'S',
		Start: 5 * time.Second, UserTicks: 30, SystemTicks: 20, CPU: 500 * time.Millisecond,
		RSS: 3 * s.pageSize, NumThreads: 1, VoluntarySwitches: 5, InvoluntarySwitches: 2,
		Threads: []Thread{{TID: 100, Comm: "root", CPU: 1000}},
	}, {
		PID: 102, PPID: 100, Comm: "worker", Cmdline: []string{"worker", "-x"}, State: 'S',
		Start: 5 * time.Second, UserTicks: 30, SystemTicks: 20, CPU: 500 * time.Millisecond,
		RSS: 3 * s.pageSize, NumThreads: 3, VoluntarySwitches: 5, InvoluntarySwitches: 2,
		Threads: []Thread{{TID: 102, Comm: "worker", CPU: 7 * time.Millisecond}, {TID: 103, Comm: "worker-103", CPU: 400 * time.Millisecond}},
	}}
	if diff := cmp.Diff(want, snap.Procs); diff != "" {
		t.Errorf("Procs (-want +got):\n%s", diff)
	}
	if snap.VanishedProcs != 1 || snap.VanishedThreads != 1 {
		t.Errorf("VanishedProcs %d, VanishedThreads %d, want 1 and 1", snap.VanishedProcs, snap.VanishedThreads)
	}
	// The thread sum wins over the tick count once it is larger.
	os.WriteFile(filepath.Join(dir, "102", "task", "103", "schedstat"), []byte("900000000 0 9\n"), 0o644)
	if err := s.SampleInto(snap); err != nil {
		t.Fatal(err)
	}
	if got, want := snap.Procs[1].CPU, 907*time.Millisecond; got != want {
		t.Errorf("CPU = %v, want the thread sum %v", got, want)
	}
}

func TestSampleFixtureMalformed(t *testing.T) {
	dir := t.TempDir()
	writeProc(t, dir, 100, 1, "root", []int{100}, map[int]string{100: "1000 0 1\n"}, map[int]string{100: "102"})
	writeProc(t, dir, 102, 100, "worker", []int{102}, map[int]string{102: "1 0 1\n"}, nil)
	os.WriteFile(filepath.Join(dir, "102", "stat"), []byte("102 (worker) S 100\n"), 0o644)
	s, err := NewSampler(100, WithProcFS(dir))
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.Sample()
	matchErr(t, err, "102/stat: profile: malformed /proc file: stat has 4 fields")
}
