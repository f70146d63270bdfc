package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const abba = "../../trace/testdata/abba.trace"

func runCmd(args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := run(args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestAnalyze(t *testing.T) {
	data, err := os.ReadFile(abba)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	corrupt := bytes.Clone(data)
	corrupt[len(corrupt)-3] ^= 0xff
	truncated := write("truncated.trace", data[:len(data)-5])
	tests := []struct {
		name       string
		args       []string
		code       int
		wantOut    string
		wantStderr string
	}{
		{"findings", []string{"analyze", abba}, 1, "main.go:23: potential deadlock: lock-order cycle A -> B -> A", "1 findings in 10 events of 1 trace"},
		{"fail other IDs", []string{"analyze", "-fail", "DL1002,LK", abba}, 0, "(DL1001)", ""},
		{"fail prefix", []string{"analyze", "-fail", "dl", abba}, 1, "(DL1001)", ""},
		{"fail none", []string{"analyze", "-fail=none", abba}, 0, "(DL1001)", ""},
		{"bad -fail", []string{"analyze", "-fail", "XY12", abba}, 2, "", `-fail: "XY12" matches no finding ID`},
		{"bad flag", []string{"analyze", "-nope", abba}, 2, "", "flag provided but not defined"},
		{"no file", []string{"analyze"}, 2, "", "no trace file given"},
		{"missing", []string{"analyze", filepath.Join(dir, "nope.trace")}, 2, "", "nope.trace: no such file"},
		{"empty", []string{"analyze", write("empty.trace", nil)}, 2, "", "empty.trace: offset 0: empty file"},
		{"not a trace", []string{"analyze", write("x.trace", []byte("hello world, this is text"))}, 2, "", "x.trace: offset 0: not a condiag trace"},
		{"corrupt", []string{"analyze", write("corrupt.trace", corrupt)}, 2, "", "corrupt.trace: offset "},
		{"truncated", []string{"analyze", truncated}, 0, "", "warning: " + truncated + ": the file ends inside the chunk at offset"},
		{"dump", []string{"dump", abba}, 0, " Lock obj=1 stack=8 at /work/main/fixtures/abba/main.go:23", "not stopped"},
		{"dump corrupt", []string{"dump", filepath.Join(dir, "corrupt.trace")}, 2, "", "corrupt.trace: offset"},
		{"dump two files", []string{"dump", abba, abba}, 2, "", "want one trace file"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := runCmd(tc.args...)
			if code != tc.code || !strings.Contains(out, tc.wantOut) || !strings.Contains(errOut, tc.wantStderr) {
				t.Errorf("condiag %s: exit %d, want %d\nstdout:\n%s\nstderr:\n%s\nwant stdout containing %q, stderr containing %q",
					strings.Join(tc.args, " "), code, tc.code, out, errOut, tc.wantOut, tc.wantStderr)
			}
		})
	}
}

func TestAnalyzeJSON(t *testing.T) {
	code, out, _ := runCmd("analyze", "-json", abba, abba)
	if code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	var got struct {
		Version int `json:"version"`
		Files   []struct {
			Name    string   `json:"name"`
			PID     int      `json:"pid"`
			Events  int      `json:"events"`
			Ended   bool     `json:"ended"`
			Cmdline []string `json:"cmdline"`
		} `json:"files"`
		Findings []struct {
			Code string `json:"code"`
			PID  int    `json:"pid"`
		} `json:"findings"`
		Warnings []string `json:"warnings"`
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if got.Version != 1 || len(got.Files) != 2 || got.Files[0].PID == 0 || got.Files[0].Events != 10 || got.Files[0].Ended {
		t.Errorf("files: %+v", got)
	}
	if len(got.Findings) != 2 || got.Findings[0].Code != "DL1001" || got.Findings[0].PID != got.Files[0].PID {
		t.Errorf("findings: %+v", got.Findings)
	}
	if len(got.Warnings) != 2 {
		t.Errorf("warnings: %q", got.Warnings)
	}
}

func TestDumpJSON(t *testing.T) {
	code, out, _ := runCmd("dump", "-json", abba)
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	events, stacks := 0, 0
	for i, l := range lines {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("line %d: %v: %s", i+1, err, l)
		}
		switch {
		case m["kind"] != nil:
			events++
		case m["frames"] != nil:
			stacks++
		case i == 0 && m["header"] != nil:
		default:
			t.Errorf("line %d: unexpected %s", i+1, l)
		}
	}
	if events != 10 || stacks == 0 {
		t.Errorf("%d events, %d stacks", events, stacks)
	}
}

func TestProgress(t *testing.T) {
	var b bytes.Buffer
	p := progressPrinter(&b)
	p("small.trace", 1<<20, 10<<20)
	if b.Len() != 0 {
		t.Errorf("progress shown for a 10 MB file: %q", b.String())
	}
	p("big.trace", 50<<20, 100<<20)
	if !strings.Contains(b.String(), "analyzing big.trace: 50% (50 of 100 MB)") {
		t.Errorf("progress for a 100 MB file: %q", b.String())
	}
	p("", -1, -1)
	if !strings.HasSuffix(b.String(), "\r\033[K") {
		t.Errorf("progress line not cleared: %q", b.String())
	}
	if isTerminal(&b) {
		t.Error("a buffer is a terminal")
	}
}
