package profile_test

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/condiag/condiag"
)

// helperEnv selects a helper mode when the test binary is re-executed as a
// child process.
const helperEnv = "PROFILE_TEST_HELPER"

func TestMain(m *testing.M) {
	if mode := os.Getenv(helperEnv); mode != "" {
		os.Exit(helper(mode))
	}
	condiag.VerifyTestMain(m)
}

// helper runs a child process. Every mode exits when its standard input
// reaches EOF, so a test controls when its children exit.
//
//	sleep   wait for EOF
//	parent  start a "sleep" grandchild, print its pid, wait for EOF
//	busy    spin for one second, print "done", wait for EOF
func helper(mode string) int {
	switch mode {
	case "sleep":
	case "parent":
		cmd := exec.Command(os.Args[0])
		cmd.Env = append(os.Environ(), helperEnv+"=sleep")
		in, err := cmd.StdinPipe()
		if err == nil {
			err = cmd.Start()
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 2
		}
		fmt.Println(cmd.Process.Pid)
		io.Copy(io.Discard, os.Stdin)
		in.Close()
		cmd.Wait()
		return 0
	case "busy":
		start := time.Now()
		for time.Since(start) < time.Second {
		}
		fmt.Println("done")
	default:
		fmt.Fprintf(os.Stderr, "unknown helper mode %q\n", mode)
		return 2
	}
	io.Copy(io.Discard, os.Stdin)
	return 0
}

// child is a helper process started by a test.
type child struct {
	cmd *exec.Cmd
	in  io.WriteCloser
	out *bufio.Reader
}

// startChild starts the test binary in helper mode; the test's cleanup
// ends it.
func startChild(tb testing.TB, mode string) *child {
	tb.Helper()
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), helperEnv+"="+mode)
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		tb.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		tb.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	c := &child{cmd: cmd, in: in, out: bufio.NewReader(out)}
	tb.Cleanup(func() {
		if c.cmd.ProcessState == nil {
			c.in.Close()
			c.cmd.Wait()
		}
	})
	return c
}

// line reads the next line the child prints.
func (c *child) line(tb testing.TB) string {
	tb.Helper()
	s, err := c.out.ReadString('\n')
	if err != nil {
		tb.Fatalf("reading from child %d: %v", c.cmd.Process.Pid, err)
	}
	return strings.TrimSpace(s)
}

// pidLine reads a pid the child prints.
func (c *child) pidLine(tb testing.TB) int {
	tb.Helper()
	s := c.line(tb)
	pid, err := strconv.Atoi(s)
	if err != nil {
		tb.Fatalf("child printed %q, want a pid", s)
	}
	return pid
}

// exit closes the child's standard input and waits for it.
func (c *child) exit(tb testing.TB) *os.ProcessState {
	tb.Helper()
	c.in.Close()
	if err := c.cmd.Wait(); err != nil {
		tb.Fatalf("child %d: %v", c.cmd.Process.Pid, err)
	}
	return c.cmd.ProcessState
}
