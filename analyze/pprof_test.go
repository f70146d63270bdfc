package analyze_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/condiag/condiag/analyze"
	"github.com/condiag/condiag/trace"
	"github.com/google/pprof/profile"
)

func TestContentionProfile(t *testing.T) {
	// G2 waits 300ms for lock 1 at line 20, G3 100ms at line 30.
	data := build(t, false,
		lock(1, 1*ms, 1, 10),
		lock(2, 2*ms, 1, 20), ev(trace.EvBlock, 2, 3*ms, 1),
		ev(trace.EvUnlock, 1, 302*ms, 1), trace.Event{Kind: trace.EvUnblock, G: 2, Time: 303 * ms, Obj: 1}, ev(trace.EvUnlock, 2, 304*ms, 1),
		lock(2, 305*ms, 1, 10),
		lock(3, 306*ms, 1, 30), ev(trace.EvBlock, 3, 307*ms, 1),
		ev(trace.EvUnlock, 2, 406*ms, 1), trace.Event{Kind: trace.EvUnblock, G: 3, Time: 407 * ms, Obj: 1}, ev(trace.EvUnlock, 3, 408*ms, 1),
	)
	res, err := analyze.Reader("test.trace", bytes.NewReader(data), analyze.Options{Waits: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Waits) != 2 || res.Waits[0].Stack[0].Line != 20 || res.Waits[0].Delay != 300*ms || res.Waits[1].Contentions != 1 {
		t.Fatalf("Waits = %+v, want line 20 (300ms) then line 30", res.Waits)
	}
	var buf bytes.Buffer
	if err := res.ContentionProfile().Write(&buf); err != nil {
		t.Fatal(err)
	}
	p, err := profile.Parse(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatalf("the profile does not parse: %v", err)
	}
	if err := p.CheckValid(); err != nil {
		t.Fatalf("invalid profile: %v", err)
	}
	if len(p.Sample) != 2 || p.SampleType[1].Type != "delay" || p.SampleType[1].Unit != "nanoseconds" {
		t.Errorf("profile: %d samples, types %v", len(p.Sample), p.SampleType)
	}
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command to run go tool pprof")
	}
	file := filepath.Join(t.TempDir(), "contention.pb.gz")
	if err := os.WriteFile(file, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, index := range []string{"delay", "contentions"} {
		out, err := exec.Command("go", "tool", "pprof", "-top", "-sample_index="+index, file).CombinedOutput()
		if err != nil {
			t.Fatalf("go tool pprof -top: %v\n%s", err, out)
		}
		text := string(out)
		if !strings.Contains(text, "Type: "+index) || !strings.Contains(text, "main.f") {
			t.Errorf("go tool pprof -top -sample_index=%s:\n%s", index, text)
		}
		if index == "delay" && !strings.Contains(text, "400ms") {
			t.Errorf("go tool pprof -top: want a total of 400ms:\n%s", text)
		}
	}
}
