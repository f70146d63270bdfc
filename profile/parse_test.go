package profile

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseStat(t *testing.T) {
	type got struct {
		Comm                     string
		State                    byte
		PPID, Threads            int
		UTime, STime, Start, RSS uint64
	}
	for _, tt := range []struct {
		name    string
		give    string
		want    got
		wantErr string
	}{
		{
			name: "bash",
			give: "27092 (bash) S 27091 27092 27092 0 -1 4194560 943 20470 0 5 7 3 11 2 20 0 1 0 853620 5124096 944 18446744073709551615 0\n",
			want: got{Comm: "bash", State: 'S', PPID: 27091, Threads: 1, UTime: 7, STime: 3, Start: 853620, RSS: 944},
		},
		{
			name: "comm with spaces and parens",
			give: "5 (a) b (c)) R 1 0 0 0 0 0 0 0 0 0 100 200 0 0 20 0 12 0 42 0 -1",
			want: got{Comm: "a) b (c)", State: 'R', PPID: 1, Threads: 12, UTime: 100, STime: 200, Start: 42},
		},
		{name: "no comm", give: "5 a R 1", wantErr: "no (comm)"},
		{name: "short", give: "5 (a) R 1 0 0", wantErr: "has 6 fields, want at least 24"},
		{name: "bad number", give: "5 (a) R 1 0 0 0 0 0 0 0 0 0 1x 0 0 0 0 0 1 0 0 0 0", wantErr: "field 14: invalid number \"1x\""},
		{name: "empty", give: "", wantErr: "no (comm)"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			st, err := parseStat([]byte(tt.give))
			if !matchErr(t, err, tt.wantErr) {
				return
			}
			g := got{string(st.comm), st.state, st.ppid, st.threads, st.utime, st.stime, st.starttime, st.rssPages}
			if diff := cmp.Diff(tt.want, g); diff != "" {
				t.Errorf("parseStat (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseStatus(t *testing.T) {
	for _, tt := range []struct {
		name    string
		give    string
		want    statusFields
		wantErr string
	}{
		{
			name: "full",
			give: "Name:\tbash\nVmRSS:\t    4060 kB\nThreads:\t1\nvoluntary_ctxt_switches:\t22\nnonvoluntary_ctxt_switches:\t7\n",
			want: statusFields{voluntary: 22, involuntary: 7},
		},
		{name: "missing", give: "Name:\tx\n", want: statusFields{}},
		{name: "no trailing newline", give: "voluntary_ctxt_switches:\t3", want: statusFields{voluntary: 3}},
		{name: "bad", give: "nonvoluntary_ctxt_switches:\t-1\n", wantErr: "nonvoluntary_ctxt_switches: invalid number"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseStatus([]byte(tt.give))
			if !matchErr(t, err, tt.wantErr) {
				return
			}
			if got != tt.want {
				t.Errorf("parseStatus = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestParseSchedstat(t *testing.T) {
	for _, tt := range []struct {
		name       string
		give       string
		wantRun    uint64
		wantSlices uint64
		wantErr    string
	}{
		{name: "ok", give: "8553170 886006 29\n", wantRun: 8553170, wantSlices: 29},
		{name: "disabled", give: "0 0 0\n"},
		{name: "empty", give: "", wantErr: "empty schedstat"},
		{name: "short", give: "1 2", wantErr: "fewer than 3 fields"},
		{name: "bad", give: "x 2 3", wantErr: "run time: invalid number"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			run, slices, err := parseSchedstat([]byte(tt.give))
			if !matchErr(t, err, tt.wantErr) {
				return
			}
			if run != tt.wantRun || slices != tt.wantSlices {
				t.Errorf("parseSchedstat = %d, %d, want %d, %d", run, slices, tt.wantRun, tt.wantSlices)
			}
		})
	}
}

func TestAppendPIDs(t *testing.T) {
	for _, tt := range []struct {
		name    string
		give    string
		want    []int
		wantErr string
	}{
		{name: "two", give: "27410 27411 \n", want: []int{27410, 27411}},
		{name: "none", give: "", want: nil},
		{name: "zero", give: "0", wantErr: "invalid pid \"0\""},
		{name: "huge", give: "99999999999", wantErr: "invalid pid"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := appendPIDs(nil, []byte(tt.give))
			if !matchErr(t, err, tt.wantErr) {
				return
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("appendPIDs (-want +got):\n%s", diff)
			}
		})
	}
}

// matchErr checks err against a wanted substring and reports whether the
// caller should go on to check the result.
func matchErr(t *testing.T, err error, want string) bool {
	t.Helper()
	if want == "" {
		if err != nil {
			t.Fatalf("unexpected error: %v", err)
		}
		return true
	}
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("error = %v, want it to contain %q", err, want)
	}
	if !errors.Is(err, ErrFileParse) {
		t.Errorf("error %v does not wrap ErrFileParse", err)
	}
	return false
}

func FuzzParseStat(f *testing.F) {
	f.Add([]byte("27092 (bash) S 27091 27092 27092 0 -1 4194560 943 20470 0 5 7 3 11 2 20 0 1 0 853620 5124096 944 0\n"))
	f.Add([]byte("1 ()) R"))
	f.Fuzz(func(t *testing.T, b []byte) {
		parseStat(b)
		parseStatus(b)
		parseSchedstat(b)
		appendPIDs(nil, b)
	})
}
