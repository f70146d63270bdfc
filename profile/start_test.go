package profile_test

import (
	"github.com/condiag/condiag/detect/race"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/condiag/condiag/profile"
	"github.com/condiag/condiag/sync"
)

// TestStart writes every profile Start offers and reads each with
// go tool pprof -top.
func TestStart(t *testing.T) {
	if !race.Instrumented {
		t.Skip("condiagoff: the primitives record nothing")
	}
	if testing.Short() {
		t.Skip("runs go tool pprof four times")
	}
	dir := t.TempDir()
	cfg := profile.Config{
		CPU:        filepath.Join(dir, "cpu.pprof"),
		Wall:       filepath.Join(dir, "wall.pprof"),
		Contention: filepath.Join(dir, "contention.pb.gz"),
		Tree:       filepath.Join(dir, "tree.pb.gz"),
		Hz:         50,
	}
	stop, err := profile.Start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	// A second Start cannot profile the CPU (or trace) again.
	if _, err := profile.Start(profile.Config{CPU: filepath.Join(dir, "again.pprof")}); err == nil {
		t.Error("a second CPU profile started")
	}
	var mu sync.Mutex
	var wg sync.WaitGroup
	busy := func(d time.Duration) {
		for end := time.Now().Add(d); time.Now().Before(end); {
		}
	}
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 10 {
				mu.Lock()
				busy(10 * time.Millisecond) // the other goroutine waits
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if err := stop(); err != nil { // a deferred stop after this one
		t.Fatalf("second stop: %v", err)
	}
	for file, want := range map[string]string{
		cfg.CPU:        "Type: cpu",
		cfg.Wall:       "Type: time",
		cfg.Contention: "Type: delay",
		cfg.Tree:       "Type: cpu",
	} {
		out, err := exec.Command("go", "tool", "pprof", "-top", file).CombinedOutput()
		if err != nil {
			t.Errorf("go tool pprof -top %s: %v\n%s", filepath.Base(file), err, out)
			continue
		}
		if !strings.Contains(string(out), want) {
			t.Errorf("go tool pprof -top %s does not say %q:\n%s", filepath.Base(file), want, out)
		}
		if file == cfg.Contention && !strings.Contains(string(out), "TestStart") {
			t.Errorf("the contention profile does not show the test's Lock:\n%s", out)
		}
	}
}
