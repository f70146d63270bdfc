package profile

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime/pprof"
	"sync"
	"time"

	"github.com/condiag/condiag/analyze"
	"github.com/condiag/condiag/trace"
	"github.com/felixge/fgprof"
)

// Config says which profiles [Start] writes, each to its file; an empty
// name leaves that profile out.
type Config struct {
	// CPU is Go's CPU profile of this process (runtime/pprof).
	CPU string
	// Wall is a wall-clock profile (github.com/felixge/fgprof): where
	// every goroutine spent its time, on the CPU or off it, waiting on
	// locks, channels and I/O, which is what a program that waits needs.
	Wall string
	// Contention is the contention profile of condiag's locks: delay
	// and count by acquisition stack (as condiag export writes it). It
	// records a condiag trace while the profile runs, so it cannot be
	// asked for while another trace is recorded (CONDIAG_TRACE).
	Contention string
	// Tree is the CPU of this process and its descendants, sampled from
	// /proc, by process and thread (as condiag run's cpu.pb.gz).
	Tree string
	// Hz is the rate of the Tree samples; 0 means 10.
	Hz float64
}

// Start starts the profiles cfg asks for and returns the function that
// stops them and writes their files. It fails, starting nothing, if a
// profile cannot be started: a file that cannot be created, a CPU
// profile or a trace already running.
func Start(cfg Config) (stop func() error, err error) {
	var stops []func() error
	var files []*os.File
	fail := func(err error) (func() error, error) {
		for i := len(stops) - 1; i >= 0; i-- {
			stops[i]()
		}
		for _, f := range files {
			f.Close()
			os.Remove(f.Name())
		}
		return nil, fmt.Errorf("profile: %w", err)
	}
	create := func(name string) (*os.File, error) {
		f, err := os.Create(name)
		if err == nil {
			files = append(files, f)
		}
		return f, err
	}
	if cfg.CPU != "" {
		f, err := create(cfg.CPU)
		if err != nil {
			return fail(err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			return fail(err)
		}
		stops = append(stops, func() error { pprof.StopCPUProfile(); return f.Close() })
	}
	if cfg.Wall != "" {
		f, err := create(cfg.Wall)
		if err != nil {
			return fail(err)
		}
		stopWall := fgprof.Start(f, fgprof.FormatPprof)
		stops = append(stops, func() error { return errors.Join(stopWall(), f.Close()) })
	}
	if cfg.Contention != "" {
		out, err := create(cfg.Contention)
		if err != nil {
			return fail(err)
		}
		dir, err := os.MkdirTemp("", "condiag-profile-")
		if err != nil {
			return fail(err)
		}
		path := filepath.Join(dir, "trace.out")
		tf, err := os.Create(path)
		if err != nil {
			os.RemoveAll(dir)
			return fail(err)
		}
		if err := trace.Start(tf); err != nil {
			tf.Close()
			os.RemoveAll(dir)
			return fail(fmt.Errorf("the contention profile records a trace: %w", err))
		}
		stops = append(stops, func() error {
			defer os.RemoveAll(dir)
			err := errors.Join(trace.Stop(), tf.Close())
			res, aerr := analyze.Files([]string{path}, analyze.Options{Waits: true})
			if aerr != nil {
				return errors.Join(err, aerr, out.Close())
			}
			return errors.Join(err, res.ContentionProfile().Write(out), out.Close())
		})
	}
	if cfg.Tree != "" {
		f, err := create(cfg.Tree)
		if err != nil {
			return fail(err)
		}
		s, err := NewSampler(os.Getpid())
		if err != nil {
			return fail(err)
		}
		hz := cfg.Hz
		if hz <= 0 {
			hz = 10
		}
		ctx, cancel := context.WithCancel(context.Background())
		var tree Tree
		done := make(chan error, 1)
		start := time.Now()
		go func() { done <- s.Run(ctx, time.Duration(float64(time.Second)/hz), tree.Add) }()
		stops = append(stops, func() error {
			cancel()
			err := <-done
			if snap, serr := s.Sample(); serr == nil {
				tree.Add(snap) // where the process is now
			}
			return errors.Join(err, tree.CPUProfile(start, time.Since(start)).Write(f), f.Close())
		})
	}
	// Stopping twice (a deferred stop after an explicit one) returns the
	// first result.
	var once sync.Once
	var stopErr error
	return func() error {
		once.Do(func() {
			var errs []error
			for i := len(stops) - 1; i >= 0; i-- {
				errs = append(errs, stops[i]())
			}
			if err := errors.Join(errs...); err != nil {
				stopErr = fmt.Errorf("profile: %w", err)
			}
		})
		return stopErr
	}, nil
}
