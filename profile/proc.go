package profile

import (
	"bytes"
	"fmt"
	"time"
)

// readProc reads process pid into p and queues its children. An error for
// which isGone reports true means the process exited while being read.
func (s *Sampler) readProc(pid int, p *Proc, snap *Snapshot) error {
	b, err := s.r.readFile(pid, 0, "stat")
	if err != nil {
		return err
	}
	st, err := parseStat(b)
	if err != nil {
		return fmt.Errorf("%s: %w", s.r.path[:len(s.r.path)-1], err)
	}
	c, err := s.cached(pid, &st)
	if err != nil {
		return err
	}
	*p = Proc{
		PID: pid, PPID: st.ppid, Comm: c.comm, Cmdline: c.cmdline, State: st.state,
		Start:     time.Duration(st.starttime) * ClockTick,
		UserTicks: st.utime, SystemTicks: st.stime, ChildrenTicks: st.cutime + st.cstime,
		RSS:        st.rssPages * s.pageSize,
		NumThreads: st.threads,
		Threads:    p.Threads[:0],
	}
	if b, err = s.r.readFile(pid, 0, "status"); err != nil {
		return err
	}
	sw, err := parseStatus(b)
	if err != nil {
		return fmt.Errorf("%s: %w", s.r.path[:len(s.r.path)-1], err)
	}
	p.VoluntarySwitches, p.InvoluntarySwitches = sw.voluntary, sw.involuntary
	if err := s.readThreads(p, c, snap); err != nil {
		return err
	}
	if s.scan {
		s.queue = append(s.queue, s.children[pid]...)
	}
	var sum time.Duration
	for _, t := range p.Threads {
		sum += t.CPU
	}
	p.CPU = max(sum, time.Duration(st.utime+st.stime)*ClockTick)
	return nil
}

// cached returns the cache entry of pid, creating it (and reading the
// command line) when the pid is new or has been reused.
func (s *Sampler) cached(pid int, st *statFields) (*procCache, error) {
	c := s.cache[pid]
	if c == nil || c.start != st.starttime {
		args, err := s.cmdline(pid)
		if err != nil {
			return nil, err
		}
		c = &procCache{start: st.starttime, cmdline: args, threads: map[int]*threadCache{}}
		s.cache[pid] = c
	}
	if string(st.comm) != c.comm {
		if c.comm != "" {
			// The process exec'd another program since its command
			// line was read (a fork caught before its exec).
			if args, err := s.cmdline(pid); err == nil {
				c.cmdline = args
			}
		}
		c.comm = string(st.comm)
	}
	c.gen = s.gen
	return c, nil
}

func (s *Sampler) cmdline(pid int) ([]string, error) {
	proc, err := s.fs.Proc(pid)
	if err != nil {
		return nil, err
	}
	return proc.CmdLine()
}

// readThreads appends the threads of p that can still be read, and in
// children mode queues the children of each.
func (s *Sampler) readThreads(p *Proc, c *procCache, snap *Snapshot) error {
	s.tids = s.tids[:0]
	if p.NumThreads == 1 && p.State != 'Z' {
		// Skip listing the task directory in the common case. A
		// single remaining thread that is not the leader makes
		// task/PID/ vanish, which is handled below.
		s.tids = append(s.tids, p.PID)
	} else {
		s.r.procPath(p.PID, 0, "task")
		tids, err := s.r.readDirInts()
		if err != nil {
			return err
		}
		s.tids = append(s.tids, tids...)
	}
	for _, tid := range s.tids {
		t, err := s.readThread(p, c, tid)
		if err != nil {
			if isGone(err) {
				snap.VanishedThreads++
				continue
			}
			return err
		}
		p.Threads = append(p.Threads, t)
		if s.scan {
			continue
		}
		b, err := s.r.readFile(p.PID, tid, "children")
		if err != nil {
			if isGone(err) {
				continue
			}
			return err
		}
		if s.queue, err = appendPIDs(s.queue, b); err != nil {
			return fmt.Errorf("%s: %w", s.r.path[:len(s.r.path)-1], err)
		}
	}
	return nil
}

// readThread reads the CPU time and name of one thread.
func (s *Sampler) readThread(p *Proc, c *procCache, tid int) (Thread, error) {
	t := Thread{TID: tid}
	if s.schedstat {
		b, err := s.r.readFile(p.PID, tid, "schedstat")
		if err != nil {
			return t, err
		}
		ns, _, err := parseSchedstat(b)
		if err != nil {
			return t, fmt.Errorf("%s: %w", s.r.path[:len(s.r.path)-1], err)
		}
		t.CPU = time.Duration(ns)
	} else {
		b, err := s.r.readFile(p.PID, tid, "stat")
		if err != nil {
			return t, err
		}
		st, err := parseStat(b)
		if err != nil {
			return t, fmt.Errorf("%s: %w", s.r.path[:len(s.r.path)-1], err)
		}
		t.CPU = time.Duration(st.utime+st.stime) * ClockTick
	}
	tc := c.threads[tid]
	if tc == nil {
		tc = &threadCache{comm: p.Comm}
		if tid != p.PID {
			b, err := s.r.readFile(p.PID, tid, "comm")
			if err != nil {
				return t, err
			}
			tc.comm = string(bytes.TrimSuffix(b, []byte("\n")))
		}
		c.threads[tid] = tc
	}
	tc.gen = s.gen
	t.Comm = tc.comm
	return t, nil
}
