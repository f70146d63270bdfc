package goid

import (
	"os"
	"os/exec"
	"runtime"
	"strings"
	"testing"
)

func TestIDMatchesRuntimeStack(t *testing.T) {
	if !Fast() && (runtime.GOARCH == "amd64" || runtime.GOARCH == "arm64") {
		t.Errorf("fast goroutine id method unavailable on %s", runtime.GOARCH)
	}
	const n = 50
	errs := make(chan string, n)
	for range n {
		go func() {
			g, id := G()
			if want := slowID(); id != want {
				errs <- "id mismatch"
				return
			}
			if Fast() && g == 0 {
				errs <- "zero g with fast method"
				return
			}
			errs <- ""
		}()
	}
	for range n {
		if e := <-errs; e != "" {
			t.Fatal(e)
		}
	}
}

func TestParseHeader(t *testing.T) {
	tests := []struct {
		give   string
		want   uint64
		wantOK bool
	}{
		{"goroutine 1 [running]:\n", 1, true},
		{"goroutine 123456 [chan receive]:", 123456, true},
		{"goroutine  [running]", 0, false},
		{"gorout", 0, false},
		{"goroutine 12", 0, false},
		{"thread 1 [running]", 0, false},
	}
	for _, tt := range tests {
		got, ok := parseHeader([]byte(tt.give))
		if got != tt.want || ok != tt.wantOK {
			t.Errorf("parseHeader(%q) = %d, %v; want %d, %v", tt.give, got, ok, tt.want, tt.wantOK)
		}
	}
}

func TestDiscoverRejectsWrongOffset(t *testing.T) {
	if !Fast() {
		t.Skip("no fast method on this platform")
	}
	if verify(offset + 8) {
		t.Errorf("verify accepted offset %d next to the real one %d", offset+8, offset)
	}
}

func BenchmarkID(b *testing.B) {
	b.Run("fast", func(b *testing.B) {
		for b.Loop() {
			ID()
		}
	})
	b.Run("runtime.Stack", func(b *testing.B) {
		for b.Loop() {
			slowID()
		}
	})
}

func TestForcedFallback(t *testing.T) {
	if os.Getenv("CONDIAG_GOID") == "slow" {
		if Fast() {
			t.Fatal("CONDIAG_GOID=slow did not force the fallback")
		}
		if g, id := G(); g != 0 || id != slowID() {
			t.Fatalf("G() = %d, %d in fallback mode", g, id)
		}
		return
	}
	exe, err := os.Executable()
	if err != nil {
		t.Skip(err)
	}
	cmd := exec.Command(exe, "-test.run=^TestForcedFallback$", "-test.v")
	cmd.Env = append(os.Environ(), "CONDIAG_GOID=slow")
	if out, err := cmd.CombinedOutput(); err != nil || !strings.Contains(string(out), "PASS") {
		t.Fatalf("child with CONDIAG_GOID=slow: %v\n%s", err, out)
	}
}
