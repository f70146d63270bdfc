package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/condiag/condiag/analyze"
	"github.com/condiag/condiag/detect/starve"
	"github.com/condiag/condiag/report"
)

// progressThreshold is the file size above which analyze shows its
// progress, on a terminal.
const progressThreshold = 64 << 20

// runAnalyze replays traces through the detectors and prints the
// findings.
func runAnalyze(c *command, args []string, stdout, stderr io.Writer) int {
	fs := c.flagSet(stderr)
	asJSON := fs.Bool("json", false, "print one JSON object: files, findings and warnings (a stable schema)")
	fail := fs.String("fail", "all", "comma-separated finding IDs or prefixes (DL, DL1001) that make the exit code 1; \"all\" or \"none\"")
	hang := fs.Duration("hang", 0, "DL1005 threshold; 0 uses the one the program ran with, a negative value turns DL1005 off")
	contention := fs.Bool("contention", true, "report the most contended lock sites (CT5001, informational)")
	top := fs.Int("top", 10, "how many lock sites -contention reports (0: all)")
	starveOpts := fs.String("starve", "", "starvation thresholds, e.g. \"overtaken=10,lock=100ms,writer=100ms,work=1s\" (\"off\" turns one off); empty: the defaults")
	if code, stop := parse(fs, args); stop {
		return code
	}
	so, err := starve.ParseOptions(*starveOpts)
	if err != nil {
		return c.usageError(stderr, "-starve: %v", err)
	}
	if *top < 0 {
		return c.usageError(stderr, "-top: %d is negative", *top)
	}
	if fs.NArg() == 0 {
		return c.usageError(stderr, "no trace file given")
	}
	failOn, err := parseFail(*fail)
	if err != nil {
		return c.usageError(stderr, "-fail: %v", err)
	}
	opt := analyze.Options{Hang: *hang, Starve: so, Contention: *contention, ContentionTop: *top}
	if isTerminal(stderr) {
		opt.Progress = progressPrinter(stderr)
	}
	res, err := analyze.Files(fs.Args(), opt)
	if opt.Progress != nil {
		opt.Progress("", -1, -1)
	}
	if err != nil {
		var ie *analyze.InputError
		if errors.As(err, &ie) {
			fmt.Fprintf(stderr, "condiag analyze: %v\n", err)
			return exitUsage
		}
		fmt.Fprintf(stderr, "condiag analyze: %v\n", err)
		return exitUsage
	}
	for _, w := range res.Warnings {
		fmt.Fprintf(stderr, "condiag analyze: warning: %s\n", w)
	}
	if *asJSON {
		writeAnalyzeJSON(stdout, res)
	} else {
		report.WriteText(stdout, res.Findings)
		var events int64
		for _, f := range res.Files {
			events += f.Events
		}
		fmt.Fprintf(stderr, "condiag analyze: %d findings in %d events of %d %s\n",
			len(res.Findings), events, len(res.Files), plural(len(res.Files), "trace", "traces"))
	}
	for _, f := range res.Findings {
		if failOn(f.ID, f.Severity) {
			return 1
		}
	}
	return exitClean
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// parseFail parses -fail.
// parseFail parses -fail. "all" fails on every finding but the
// informational ones (CT5001), which only fail when named.
func parseFail(s string) (func(id string, sev report.Severity) bool, error) {
	switch strings.TrimSpace(s) {
	case "all", "":
		return func(_ string, sev report.Severity) bool { return sev > report.SeverityInfo }, nil
	case "none":
		return func(string, report.Severity) bool { return false }, nil
	}
	var prefixes []string
	for _, p := range strings.Split(s, ",") {
		p = strings.ToUpper(strings.TrimSpace(p))
		known := false
		for _, d := range report.All() {
			if strings.HasPrefix(d.ID, p) && p != "" {
				known = true
			}
		}
		if !known {
			return nil, fmt.Errorf("%q matches no finding ID (see condiag explain -list)", p)
		}
		prefixes = append(prefixes, p)
	}
	return func(id string, _ report.Severity) bool {
		for _, p := range prefixes {
			if strings.HasPrefix(id, p) {
				return true
			}
		}
		return false
	}, nil
}

// analyzeJSON is the -json output. It is a stable schema: fields may be
// added, never renamed or removed; lists are never null.
type analyzeJSON struct {
	Version  int              `json:"version"`
	Files    []fileJSON       `json:"files"`
	Findings []report.Finding `json:"findings"`
	Warnings []string         `json:"warnings"`
}

type fileJSON struct {
	Name       string          `json:"name"`
	PID        int             `json:"pid"`
	PPID       int             `json:"ppid"`
	Cmdline    []string        `json:"cmdline"`
	Start      time.Time       `json:"start"`
	Events     int64           `json:"events"`
	Bytes      int64           `json:"bytes"`
	DurationNS int64           `json:"duration_ns"`
	Ended      bool            `json:"ended"`
	Truncated  *truncationJSON `json:"truncated"`
	Lost       uint64          `json:"lost"`
}

type truncationJSON struct {
	Offset int64 `json:"offset"`
	Bytes  int64 `json:"bytes"`
}

func writeAnalyzeJSON(w io.Writer, res *analyze.Result) error {
	out := analyzeJSON{Version: 1, Files: []fileJSON{}, Findings: res.Findings, Warnings: res.Warnings}
	if out.Findings == nil {
		out.Findings = []report.Finding{}
	}
	if out.Warnings == nil {
		out.Warnings = []string{}
	}
	for _, f := range res.Files {
		fj := fileJSON{
			Name: f.Name, PID: f.Header.PID, PPID: f.Header.PPID, Cmdline: f.Header.Cmdline,
			Start: f.Header.Start, Events: f.Events, Bytes: f.Bytes, DurationNS: int64(f.Duration),
			Ended: f.Ended, Lost: f.Lost,
		}
		if fj.Cmdline == nil {
			fj.Cmdline = []string{}
		}
		if t := f.Truncated; t != nil {
			fj.Truncated = &truncationJSON{Offset: t.Offset, Bytes: t.Bytes}
		}
		out.Files = append(out.Files, fj)
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// progressPrinter returns a progress callback that shows, on a terminal,
// how far the analysis of a file larger than progressThreshold is; a
// call with done < 0 clears the line.
func progressPrinter(w io.Writer) func(name string, done, total int64) {
	var last time.Time
	shown := false
	return func(name string, done, total int64) {
		if done < 0 {
			if shown {
				fmt.Fprint(w, "\r\033[K")
			}
			return
		}
		if total < progressThreshold || time.Since(last) < 200*time.Millisecond {
			return
		}
		last = time.Now()
		shown = true
		fmt.Fprintf(w, "\r\033[Kanalyzing %s: %d%% (%d of %d MB)", name, done*100/total, done>>20, total>>20)
	}
}
