package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/condiag/condiag/analyze"
	"github.com/condiag/condiag/profile"
	"github.com/condiag/condiag/report"
	"github.com/condiag/condiag/trace"
	pprof "github.com/google/pprof/profile"
	"golang.org/x/sys/unix"
)

// Exit codes of condiag run beyond the shared ones.
const exitCommandFailed = 3 // the command failed, and nothing was found

// runRun runs a command with tracing on, samples its process tree, and
// reports the findings of every trace with a table of the processes.
func runRun(c *command, args []string, stdout, stderr io.Writer) int {
	fs := c.flagSet(stderr)
	outDir := fs.String("o", "", "keep the traces, the CPU profile of the tree (cpu.pb.gz) and the contention profile (contention.pb.gz) in this directory")
	hz := fs.Float64("hz", 10, "samples of the process tree per second")
	hang := fs.Duration("hang", 0, "DL1005 threshold for the analysis; 0 uses the one the program ran with")
	live := fs.Bool("live", false, "let the program print its findings as they happen, too")
	if code, stop := parse(fs, args); stop {
		return code
	}
	cmdline := fs.Args()
	if len(cmdline) == 0 {
		return c.usageError(stderr, "no command given: condiag run [flags] -- CMD ARGS...")
	}
	if *hz <= 0 || *hz > 1000 {
		return c.usageError(stderr, "-hz %v: want more than 0 and at most 1000", *hz)
	}
	dir := *outDir
	if dir == "" {
		tmp, err := os.MkdirTemp("", "condiag-run-")
		if err != nil {
			fmt.Fprintf(stderr, "condiag run: %v\n", err)
			return exitUsage
		}
		defer os.RemoveAll(tmp)
		dir = tmp
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		fmt.Fprintf(stderr, "condiag run: %v\n", err)
		return exitUsage
	} else if old, _ := filepath.Glob(filepath.Join(dir, "trace-*.out")); len(old) > 0 {
		return c.usageError(stderr, "-o %s holds traces of an earlier run (%s): give an empty directory", dir, filepath.Base(old[0]))
	}

	cmd := exec.Command(cmdline[0], cmdline[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, stdout, stderr
	// Every process of the tree that uses condiag writes a trace of its
	// own (%p is its pid).
	cmd.Env = append(os.Environ(), "CONDIAG_TRACE="+filepath.Join(dir, "trace-%p.out"))
	if !*live {
		cmd.Env = append(cmd.Env, "CONDIAG_ON_FINDING=silent")
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	// On a terminal the command's group gets the terminal, as a shell
	// gives it to a job it runs: the command can read it, and Ctrl-C and
	// Ctrl-Z reach it directly. condiag takes the terminal back when the
	// command exits.
	tty := -1
	if isTerminal(os.Stdin) && foregroundGroup(int(os.Stdin.Fd())) == syscall.Getpgrp() {
		tty = int(os.Stdin.Fd())
		cmd.SysProcAttr.Foreground, cmd.SysProcAttr.Ctty = true, tty
		signal.Ignore(syscall.SIGTTOU) // for taking the terminal back from the background
		defer signal.Reset(syscall.SIGTTOU)
	}
	// Output that is not a file is copied until every writer closes it:
	// a process that outlives the command must not hold the report up.
	cmd.WaitDelay = 500 * time.Millisecond
	// Orphans of the tree are reparented to condiag rather than to init,
	// so that none escapes unnoticed (see stopTree).
	unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	defer signal.Stop(sigs)
	started := time.Now()
	if err := cmd.Start(); err != nil {
		fmt.Fprintf(stderr, "condiag run: %v\n", err)
		return exitUsage
	}
	pgid := cmd.Process.Pid
	tree := &procTable{}
	sampler, err := profile.NewSampler(pgid)
	if err != nil {
		fmt.Fprintf(stderr, "condiag run: warning: the process tree is not sampled: %v\n", err)
	}
	warned := false
	sample := func() {
		if sampler == nil {
			return
		}
		snap, err := sampler.Sample()
		if err == nil {
			tree.add(snap)
		} else if !errors.Is(err, profile.ErrNoProcess) && !warned {
			warned = true
			fmt.Fprintf(stderr, "condiag run: warning: sampling the process tree: %v\n", err)
		}
	}
	sample()
	waited := make(chan error, 1)
	go func() { waited <- cmd.Wait() }()
	tick := time.NewTicker(time.Duration(float64(time.Second) / *hz))
	defer tick.Stop()
	// Between samples, a cheap look at the parents of the tree: when one
	// reaped a child, a sample at once tells what that child used to
	// its end.
	poll := time.NewTicker(5 * time.Millisecond)
	defer poll.Stop()
	var interrupted os.Signal
	var waitErr error
	var grace <-chan time.Time
loop:
	for {
		select {
		case s := <-sigs:
			// The group gets the signal; condiag stays to write the
			// report of what was recorded. A second one, or the end of
			// the grace period, kills the group, for a program that
			// ignores the first.
			if interrupted == nil {
				interrupted = s
				syscall.Kill(-pgid, s.(syscall.Signal))
				grace = time.After(killGrace)
			} else {
				fmt.Fprintf(stderr, "condiag run: %v again: killing the process group\n", s)
				syscall.Kill(-pgid, syscall.SIGKILL)
			}
		case <-grace:
			fmt.Fprintf(stderr, "condiag run: the command is still running %v after %v: killing the process group\n", killGrace, interrupted)
			syscall.Kill(-pgid, syscall.SIGKILL)
		case <-tick.C:
			sample()
		case <-poll.C:
			if sampler != nil && sampler.Reaped() {
				sample()
			}
		case waitErr = <-waited:
			if errors.Is(waitErr, exec.ErrWaitDelay) {
				waitErr = nil // the command ended well; something it started still held its output
			}
			break loop
		}
	}
	if tty >= 0 {
		unix.IoctlSetPointerInt(tty, unix.TIOCSPGRP, syscall.Getpgrp()) // the terminal back, for the report
	}
	left := stopGroup(pgid)
	escaped := stopTree(tree.tree.Processes())

	// The root's own accounting, from the kernel.
	if st := cmd.ProcessState; st != nil {
		tree.exited(pgid, st, time.Since(started))
	}
	files, _ := filepath.Glob(filepath.Join(dir, "trace-*.out"))
	slices.Sort(files)
	var res *analyze.Result
	if len(files) > 0 {
		res, err = analyze.Files(files, analyze.Options{Hang: *hang, Contention: true, ContentionTop: 10, Waits: *outDir != ""})
		if err != nil {
			fmt.Fprintf(stderr, "condiag run: %v\n", err)
		}
	}
	if res == nil {
		res = &analyze.Result{}
	}
	for _, w := range res.Warnings {
		// A program that exits does not stop its trace: what it had not
		// written is in the live file, as it should.
		if !strings.Contains(w, "the trace was not stopped") && !strings.Contains(w, ".live") {
			fmt.Fprintf(stderr, "condiag run: warning: %s\n", w)
		}
	}
	for _, f := range res.Files {
		tree.traced(f.Header)
	}
	fmt.Fprintf(stdout, "\n== condiag run: %s\n", strings.Join(cmdline, " "))
	report.WriteText(stdout, res.Findings)
	fmt.Fprintf(stdout, "\n")
	tree.write(stdout, cmdline)
	if left > 0 {
		fmt.Fprintf(stdout, "%d %s of the group still running when the command exited: stopped\n", left, plural(left, "process", "processes"))
	}
	if len(escaped) > 0 {
		fmt.Fprintf(stdout, "%d %s had left the process group and still ran: killed (pids %v)\n", len(escaped), plural(len(escaped), "process", "processes"), escaped)
	}
	if *outDir != "" {
		if err := writeProfile(filepath.Join(dir, "contention.pb.gz"), res.ContentionProfile()); err != nil {
			fmt.Fprintf(stderr, "condiag run: %v\n", err)
		}
		if err := writeProfile(filepath.Join(dir, "cpu.pb.gz"), tree.tree.CPUProfile(started, time.Since(started))); err != nil {
			fmt.Fprintf(stderr, "condiag run: %v\n", err)
		}
		fmt.Fprintf(stdout, "traces and profiles in %s\n", dir)
	}
	failing := 0
	for _, f := range res.Findings {
		if f.Severity > report.SeverityInfo {
			failing++
		}
	}
	fmt.Fprintf(stdout, "%d %s in %d %s", failing, plural(failing, "finding", "findings"), len(files), plural(len(files), "trace", "traces"))
	status := "exited 0"
	if waitErr != nil {
		status = waitErr.Error()
	}
	if interrupted != nil {
		status += fmt.Sprintf(" (after %v)", interrupted)
	}
	fmt.Fprintf(stdout, "; the command %s\n", status)
	switch {
	case failing > 0:
		return 1
	case waitErr != nil:
		var ee *exec.ExitError
		if !errors.As(waitErr, &ee) {
			return exitUsage
		}
		return exitCommandFailed
	}
	return exitClean
}

// stopGroup ends what is left of process group pgid after its leader
// exited: SIGTERM, then SIGKILL after a second. It returns how many
// processes were left.
func stopGroup(pgid int) int {
	if syscall.Kill(-pgid, 0) != nil {
		return 0 // nobody left
	}
	n := countGroup(pgid)
	syscall.Kill(-pgid, syscall.SIGTERM)
	for deadline := time.Now().Add(time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if syscall.Kill(-pgid, 0) != nil {
			return n
		}
	}
	syscall.Kill(-pgid, syscall.SIGKILL)
	for deadline := time.Now().Add(2 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if syscall.Kill(-pgid, 0) != nil {
			break // all gone (and reaped by their new parent)
		}
	}
	return n
}

// foregroundGroup returns the foreground process group of terminal fd,
// or -1.
func foregroundGroup(fd int) int {
	pgrp, err := unix.IoctlGetInt(fd, unix.TIOCGPGRP)
	if err != nil {
		return -1
	}
	return pgrp
}

// killGrace is how long condiag run waits for the command to end after
// it forwarded a signal, before it kills the group.
const killGrace = 10 * time.Second

// stopTree kills the processes of the tree that are still running after
// the group was stopped: those that left it (setsid), which the samples
// saw. A pid is killed only if it is still the process sampled (same
// start time). Orphans reparented to condiag (a subreaper) are reaped.
// It returns the pids killed.
func stopTree(procs []profile.ProcStats) []int {
	var killed []int
	for _, p := range procs {
		if start, err := profile.StartTime(p.PID); err == nil && start == p.Start {
			if syscall.Kill(p.PID, syscall.SIGKILL) == nil {
				killed = append(killed, p.PID)
			}
		}
	}
	// Those reparented to condiag are its children now: reap them.
	deadline := time.Now().Add(time.Second)
	for _, pid := range killed {
		for {
			var ws syscall.WaitStatus
			got, err := syscall.Wait4(pid, &ws, syscall.WNOHANG, nil)
			if got == pid || err != nil || time.Now().After(deadline) {
				break // reaped, or not condiag's child
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	return killed
}

// countGroup counts the processes of group pgid, from /proc.
func countGroup(pgid int) int {
	ents, _ := os.ReadDir("/proc")
	n := 0
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// pid (comm) state ppid pgrp ...
		s := string(b)
		if i := strings.LastIndexByte(s, ')'); i >= 0 {
			f := strings.Fields(s[i+1:])
			if len(f) > 2 && f[2] == fmt.Sprint(pgid) {
				n++
			}
		}
	}
	return max(n, 1)
}

func writeProfile(path string, p *pprof.Profile) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := p.Write(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// procTable is what the samples (profile.Tree), the kernel (the root's
// exit) and the traces (processes too brief to be sampled) tell of each
// process of the tree.
type procTable struct {
	tree profile.Tree
	root struct {
		pid    int
		status string
		cpu    time.Duration // user+system from wait4, its children's included
		rss    uint64
		wall   time.Duration // from start to exit
	}
	headers []trace.Header
}

func (t *procTable) add(s *profile.Snapshot) { t.tree.Add(s) }

// exited records the kernel's accounting of the root process when it
// exited.
func (t *procTable) exited(pid int, st *os.ProcessState, wall time.Duration) {
	t.root.pid, t.root.status, t.root.wall = pid, st.String(), wall
	t.root.cpu = st.UserTime() + st.SystemTime()
	// What the root's children used after the last sample, from the
	// kernel's accounting of the root.
	t.tree.Reaped(pid, t.root.cpu)
	if ru, ok := st.SysUsage().(*syscall.Rusage); ok {
		t.root.rss = uint64(ru.Maxrss) * 1024
	}
}

// traced adds a process that wrote a trace, in case it lived too briefly
// to be sampled.
func (t *procTable) traced(h trace.Header) { t.headers = append(t.headers, h) }

type procRow struct {
	pid, ppid          int
	command            string
	cpu                time.Duration // < 0: unknown
	avgCores, peakCore float64
	peakRSS            uint64
	threads            int
	status             string
}

func (t *procTable) rows(cmdline []string) []procRow {
	var rows []procRow
	seen := map[int]bool{}
	var children time.Duration
	for _, p := range t.tree.Processes() {
		cmd := strings.Join(p.Cmdline, " ")
		if cmd == "" {
			cmd = p.Comm
		}
		r := procRow{pid: p.PID, ppid: p.PPID, command: cmd, cpu: p.CPU, avgCores: p.AvgCores, peakCore: p.PeakCores,
			peakRSS: p.PeakRSS, threads: p.PeakThreads, status: "-"}
		if p.PID == t.root.pid {
			r.status = t.root.status
			r.peakRSS = max(r.peakRSS, t.root.rss)
		} else {
			children += p.CPU
		}
		seen[p.PID] = true
		rows = append(rows, r)
	}
	if t.root.pid != 0 && !seen[t.root.pid] {
		rows = append(rows, procRow{pid: t.root.pid, command: strings.Join(cmdline, " "), cpu: -1, status: t.root.status, peakRSS: t.root.rss})
		seen[t.root.pid] = true
	}
	for i := range rows {
		if r := &rows[i]; r.pid == t.root.pid && children == 0 {
			// Without children, the kernel's figure is the root's own,
			// and exact.
			if t.root.cpu > r.cpu {
				r.cpu = t.root.cpu
				if t.root.wall > 0 {
					r.avgCores = r.cpu.Seconds() / t.root.wall.Seconds()
				}
			}
		}
	}
	for _, h := range t.headers {
		if !seen[h.PID] && h.PID != 0 {
			seen[h.PID] = true
			rows = append(rows, procRow{pid: h.PID, ppid: h.PPID, command: strings.Join(h.Cmdline, " "), cpu: -1, status: "not sampled"})
		}
	}
	slices.SortFunc(rows, func(a, b procRow) int { return a.pid - b.pid })
	return rows
}

func (t *procTable) write(w io.Writer, cmdline []string) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "pid\tparent\tCPU s\tavg cores\tpeak cores\tpeak RSS\tthreads\texit\t command\n")
	for _, r := range t.rows(cmdline) {
		cmd := r.command
		if len(cmd) > 60 {
			cmd = cmd[:57] + "..."
		}
		if r.cpu < 0 { // not sampled
			fmt.Fprintf(tw, "%d\t%d\t-\t-\t-\t-\t-\t%s\t %s\n", r.pid, r.ppid, r.status, cmd)
			continue
		}
		fmt.Fprintf(tw, "%d\t%d\t%.3f\t%.2f\t%.2f\t%s\t%d\t%s\t %s\n",
			r.pid, r.ppid, r.cpu.Seconds(), r.avgCores, r.peakCore, bytesText(r.peakRSS), r.threads, r.status, cmd)
	}
	tw.Flush()
}

func bytesText(n uint64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.0f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
