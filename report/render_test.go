package report

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// cycle is a lock-order cycle over two instances, taken by one goroutine.
func cycle() Finding {
	f := New("DL1001")
	f.Confidence = Observed
	f.Message = "lock order accounts -> Mutex#2 -> accounts may deadlock"
	f.Location = Frame{Func: "main.audit", File: "/src/bank/bank.go", Line: 41}
	f.Locks = []Lock{
		{ID: 1, Kind: "Mutex", Class: "accounts", Name: "accounts",
			FirstLocked: Frame{Func: "main.transfer", File: "/src/bank/bank.go", Line: 32}},
		{ID: 2, Kind: "Mutex", Class: "/src/bank/bank.go:33",
			FirstLocked: Frame{Func: "main.transfer", File: "/src/bank/bank.go", Line: 33}},
	}
	f.Edges = []Edge{
		{From: 1, To: 2, FromMode: "write", ToMode: "write", Goroutine: 1, Stack: []Frame{
			{Func: "main.transfer", File: "/src/bank/bank.go", Line: 33},
			{Func: "main.main", File: "/src/bank/bank.go", Line: 50},
		}},
		{From: 2, To: 1, FromMode: "write", ToMode: "write", Goroutine: 1, Stack: []Frame{
			{Func: "main.audit", File: "/src/bank/bank.go", Line: 41},
			{Func: "main.main", File: "/src/bank/bank.go", Line: 51},
		}},
	}
	f.Scenario = "goroutine A               goroutine B\n" +
		"accounts.Lock()\n" +
		"                          Mutex#2.Lock()\n" +
		"Mutex#2.Lock()   blocks   accounts.Lock()   blocks\n"
	f.Notes = []string{
		"every edge was taken by goroutine 1: these code paths\ndeadlock when they run concurrently",
	}
	return f
}

// deadlock is two goroutines blocked on each other, one lock read-held.
func deadlock() Finding {
	f := New("DL1002")
	f.Confidence = Observed
	f.Message = "goroutines 7 and 8 wait for each other"
	f.Location = Frame{Func: "main.worker", File: "/src/app/worker.go", Line: 20}
	f.Process = 4242
	f.Locks = []Lock{
		{ID: 10, Kind: "RWMutex", Class: "cache", Name: "cache.mu", Held: "read", Holder: 7,
			FirstLocked: Frame{Func: "main.(*cache).get", File: "/src/app/cache.go", Line: 12}},
		{ID: 11, Kind: "Mutex", Class: "/src/app/db.go:30", Holder: 8},
	}
	f.Goroutines = []Goroutine{
		{ID: 7, State: "sync.Mutex.Lock", Holds: []uint64{10}, WaitsFor: 11, WaitMode: "write",
			Stack:     []Frame{{Func: "main.worker", File: "/src/app/worker.go", Line: 20}},
			CreatedBy: Frame{Func: "main.main", File: "/src/app/main.go", Line: 9}},
		{ID: 8, State: "sync.RWMutex.Lock", Holds: []uint64{11}, WaitsFor: 10, WaitMode: "write",
			Stack: []Frame{
				{Func: "main.(*cache).put", File: "/src/app/cache.go", Line: 20},
				{Func: "main.flush", File: "/src/app/db.go", Line: 31},
			}},
	}
	return f
}

// misuse has no location, no confidence and few details.
func misuse() Finding {
	f := New("DL1006")
	f.Message = "sync: unlock of unlocked mutex <Mutex#3> & more"
	return f
}

func TestWrite(t *testing.T) {
	tests := []struct {
		name string
		give []Finding
	}{
		{name: "empty", give: nil},
		{name: "cycle", give: []Finding{cycle()}},
		{name: "deadlock", give: []Finding{deadlock()}},
		{name: "misuse", give: []Finding{misuse()}},
		{name: "several", give: []Finding{cycle(), deadlock(), misuse()}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var text, js bytes.Buffer
			if err := WriteText(&text, tt.give); err != nil {
				t.Fatalf("WriteText: %v", err)
			}
			if err := WriteJSON(&js, tt.give); err != nil {
				t.Fatalf("WriteJSON: %v", err)
			}
			golden(t, tt.name+".txt", text.Bytes())
			golden(t, tt.name+".json", js.Bytes())
			roundTrip(t, tt.give, js.Bytes())
		})
	}
}

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", path, diff)
	}
}

// roundTrip decodes data, compares it with give, encodes it again and
// checks the bytes are the same.
func roundTrip(t *testing.T, give []Finding, data []byte) {
	t.Helper()
	var got jsonReport
	if err := json.Unmarshal(data, &got); err != nil {
		t.Fatalf("decoding WriteJSON output: %v", err)
	}
	if diff := cmp.Diff(give, got.Findings, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("JSON round trip mismatch (-want +got):\n%s", diff)
	}
	var again bytes.Buffer
	if err := WriteJSON(&again, got.Findings); err != nil {
		t.Fatalf("WriteJSON of decoded findings: %v", err)
	}
	if diff := cmp.Diff(string(data), again.String()); diff != "" {
		t.Errorf("JSON re-encoding mismatch (-first +second):\n%s", diff)
	}
}

// TestJSONSchema checks the field names and types that tools rely on.
func TestJSONSchema(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteJSON(&buf, []Finding{cycle(), misuse()}); err != nil {
		t.Fatal(err)
	}
	var got struct {
		Findings []map[string]any `json:"findings"`
	}
	if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		key  string
		want string // the JSON type, as encoding/json decodes into any
	}{
		{"code", "string"}, {"severity", "string"}, {"confidence", "string"},
		{"title", "string"}, {"location", "object"}, {"end", "object"},
		{"message", "string"}, {"related", "array"}, {"locks", "array"},
		{"edges", "array"}, {"goroutines", "array"}, {"scenario", "string"},
		{"notes", "array"},
	}
	for i, f := range got.Findings {
		for _, tt := range tests {
			if typ := jsonType(f[tt.key]); typ != tt.want {
				t.Errorf("finding %d: %q is %s, want %s", i, tt.key, typ, tt.want)
			}
		}
		loc, _ := f["location"].(map[string]any)
		for _, k := range []string{"file", "line", "col"} {
			if _, ok := loc[k]; !ok {
				t.Errorf("finding %d: location has no %q: %v", i, k, loc)
			}
		}
	}
	if f := got.Findings[0]; f["severity"] != "error" || f["confidence"] != "observed" || f["code"] != "DL1001" {
		t.Errorf("cycle: code, severity, confidence = %v, %v, %v; want DL1001, error, observed",
			f["code"], f["severity"], f["confidence"])
	}
	if rel := got.Findings[0]["related"].([]any); len(rel) != 4 {
		t.Errorf("cycle: %d related positions, want 4 (2 edges, 2 first-locked sites)", len(rel))
	}
}

func jsonType(v any) string {
	switch v.(type) {
	case nil:
		return "missing or null"
	case string:
		return "string"
	case float64:
		return "number"
	case bool:
		return "bool"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return "unknown"
}

func TestUnmarshalJSONErrors(t *testing.T) {
	tests := []struct {
		give    string
		wantErr string
	}{
		{give: `{"code":"DL1001","severity":"fatal"}`, wantErr: `unknown severity "fatal"`},
		{give: `{"code":"DL1001","severity":"error","confidence":"sure"}`, wantErr: `unknown confidence "sure"`},
		{give: `{"code":1}`, wantErr: "cannot unmarshal number"},
	}
	for _, tt := range tests {
		t.Run(tt.wantErr, func(t *testing.T) {
			var f Finding
			err := json.Unmarshal([]byte(tt.give), &f)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Unmarshal(%s) error = %v, want it to contain %q", tt.give, err, tt.wantErr)
			}
		})
	}
}

type failWriter struct{}

var errWrite = errors.New("disk full")

func (failWriter) Write([]byte) (int, error) { return 0, errWrite }

func TestWriteError(t *testing.T) {
	tests := []struct {
		name  string
		write func([]Finding) error
	}{
		{name: "text", write: func(fs []Finding) error { return WriteText(failWriter{}, fs) }},
		{name: "json", write: func(fs []Finding) error { return WriteJSON(failWriter{}, fs) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.write([]Finding{misuse()}); !errors.Is(err, errWrite) {
				t.Errorf("error = %v, want %v", err, errWrite)
			}
		})
	}
}
