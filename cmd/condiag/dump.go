package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/condiag/condiag/report"
	"github.com/condiag/condiag/trace"
)

// runDump prints every event of a trace, as text or as JSON lines.
func runDump(c *command, args []string, stdout, stderr io.Writer) int {
	fs := c.flagSet(stderr)
	asJSON := fs.Bool("json", false, "print JSON lines: the header, then each stack when first used, then each event")
	if code, stop := parse(fs, args); stop {
		return code
	}
	if fs.NArg() != 1 {
		return c.usageError(stderr, "want one trace file, got %d arguments", fs.NArg())
	}
	name := fs.Arg(0)
	out := bufio.NewWriterSize(stdout, 1<<16)
	defer out.Flush()
	r, err := trace.OpenFile(name)
	if err != nil {
		var fe *trace.FormatError
		if errors.As(err, &fe) {
			err = fmt.Errorf("%s: %w", name, err)
		}
		fmt.Fprintf(stderr, "condiag dump: %v\n", err)
		return exitUsage
	}
	defer r.Close()
	h := r.Header()
	enc := json.NewEncoder(out)
	if *asJSON {
		enc.Encode(map[string]any{
			"header": map[string]any{
				"version": h.Version, "pid": h.PID, "ppid": h.PPID, "cmdline": h.Cmdline,
				"start": h.Start, "go": h.GoVersion, "host": h.Host, "gomaxprocs": h.GOMAXPROCS,
				"hang_ns": int64(h.HangThreshold),
			},
		})
	} else {
		fmt.Fprintf(out, "# condiag trace v%d: pid %d (parent %d) %q, started %s, %s on %s\n",
			h.Version, h.PID, h.PPID, h.Cmdline, h.Start.Format("2006-01-02T15:04:05.000Z07:00"), h.GoVersion, h.Host)
	}
	seen := map[trace.StackID]bool{}
	for {
		e, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			out.Flush()
			fmt.Fprintf(stderr, "condiag dump: %s: %v\n", name, err)
			return exitUsage
		}
		if *asJSON {
			if e.Stack != 0 && !seen[e.Stack] {
				seen[e.Stack] = true
				enc.Encode(map[string]any{"stack": e.Stack, "frames": orEmpty(r.Stack(e.Stack))})
			}
			enc.Encode(jsonEvent(e))
			continue
		}
		fmt.Fprint(out, e.String())
		if st := r.Stack(e.Stack); len(st) > 0 {
			fmt.Fprintf(out, " at %s", st[0])
		}
		fmt.Fprintln(out)
	}
	if t := r.Truncated(); t != nil {
		fmt.Fprintf(stderr, "condiag dump: %s: warning: %s\n", name, t)
	}
	if n, err := r.LiveBytes(); err != nil {
		fmt.Fprintf(stderr, "condiag dump: %s: warning: the live file was not read: %v\n", name, err)
	} else if n > 0 {
		fmt.Fprintf(stderr, "condiag dump: %s: %d bytes of events read from %s.live\n", name, n, name)
	}
	if !r.Ended() {
		fmt.Fprintf(stderr, "condiag dump: %s: the trace was not stopped: it covers the program up to %v after it started\n", name, r.EndTime())
	}
	return exitClean
}

type eventJSON struct {
	T     int64  `json:"t"`
	G     uint64 `json:"g"`
	Kind  string `json:"kind"`
	Obj   uint64 `json:"obj,omitempty"`
	Arg   int64  `json:"arg,omitempty"`
	Str   string `json:"str,omitempty"`
	Stack uint64 `json:"stack,omitempty"`
}

func jsonEvent(e trace.Event) eventJSON {
	return eventJSON{T: int64(e.Time), G: e.G, Kind: e.Kind.String(), Obj: e.Obj, Arg: e.Arg, Str: e.Str, Stack: uint64(e.Stack)}
}

func orEmpty(fs []report.Frame) []report.Frame {
	if fs == nil {
		return []report.Frame{}
	}
	return fs
}
