package monitor

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	_ "unsafe" // for go:linkname

	"github.com/condiag/condiag/detect/deadlock"
	"github.com/condiag/condiag/internal/callers"
	"github.com/condiag/condiag/internal/sink"
	"github.com/condiag/condiag/internal/tracefmt"
	"github.com/condiag/condiag/report"
)

// The recorder writes the trace of package trace.
//
// Each goroutine appends its events to a buffer of its own (gtrace), with
// no lock: it writes past the published length and then publishes the new
// length with an atomic store. The flusher goroutine cuts what was
// published from every buffer, under the buffer's mutex, at least every
// flushEvery, and writes it as one chunk with the strings and stacks
// defined since the last chunk. A full buffer is set aside by its owner,
// under the same mutex, for the next cut; when too much is set aside the
// owner flushes itself (backpressure: nothing is dropped).
//
// Stacks are interned on the hot path by the hash of their return
// addresses, in a lock-free cache in front of a map; they are symbolized
// when the chunk that first needs them is written.

//go:linkname nanotime runtime.nanotime
func nanotime() int64

const (
	defaultFlushEvery = 100 * time.Millisecond
	tbufSize          = 2048
	flushLimit        = 512 << 10 // bytes set aside before the owner flushes itself
	stackDepth        = 32
	cacheBits         = 12
	cacheIDBits       = 24
)

// recording is the recorder while a trace is being recorded.
var recording atomic.Pointer[recorder]

// startMu serializes StartTrace and StopTrace.
var startMu sync.Mutex

var generation atomic.Uint32

// Tracing reports whether a trace is being recorded.
func Tracing() bool { return recording.Load() != nil }

type stackDef struct {
	pcs    []uintptr
	frames []report.Frame
}

type recorder struct {
	gen     uint32
	want    uint64 // tstate of a lock announced in this generation
	start   int64  // nanotime at start
	stopc   chan struct{}
	done    chan struct{}
	sigc    chan os.Signal
	stopped atomic.Bool

	mu         sync.Mutex // serializes flushes
	w          io.Writer
	err        error
	body, buf  []byte
	batches    []byte
	doneStr    int // strings written so far
	doneStacks int // stacks written so far

	dmu         sync.Mutex // guards the definitions
	strs        map[string]uint64
	strList     []string
	stackByHash map[uint64]uint64
	stackByKey  map[string]uint64
	stackDefs   []stackDef
	cache       [1 << cacheBits]atomic.Uint64

	pmu     sync.Mutex // guards orphans
	orphans []tracefmt.Batch
	aside   atomic.Int64 // bytes set aside in full buffers and orphans
	partial atomic.Int64 // bytes written in partial chunks since the last full one

	streams atomic.Uint64 // numbers the goroutines' streams
	live    *live         // the live file, for a recording to a path
}

// gtrace is a goroutine's trace buffer: on the heap, or in a slot of
// the live file.
type gtrace struct {
	mu   sync.Mutex
	buf  []byte         // the owner writes past pub, unlocked
	pub  *atomic.Uint32 // length published: &hpub, or in the live slot
	hpub atomic.Uint32
	gen  uint32 // generation of buf; changed under mu
	prev uint64 // owner: time of its last event
	// Guarded by mu.
	done   uint32           // length cut so far
	base   uint64           // time of the event before buf[done]
	full   []tracefmt.Batch // batches set aside, oldest first
	bufs   [][]byte         // their buffers
	stream uint64           // the stream's number
	off    uint64           // where buf[0] is in the stream
	slot   int              // the live slot holding buf, from 1; 0 if none
	lv     *live
}

// StartTrace starts recording a trace to w.
func StartTrace(w io.Writer) error { return startTrace(w, "") }

// startTrace starts recording a trace to w, which writes to the file at
// path if path is not empty: then the goroutines' buffers live in the
// live file, PATH.live, until the trace stops.
func startTrace(w io.Writer, path string) error {
	startMu.Lock()
	defer startMu.Unlock()
	if recording.Load() != nil {
		return errors.New("condiag trace: already recording")
	}
	gen := generation.Add(1)
	r := &recorder{
		gen: gen, want: uint64(gen)<<1 | 1, start: nanotime(), w: w,
		stopc: make(chan struct{}), done: make(chan struct{}), sigc: make(chan os.Signal, 1),
		strs: map[string]uint64{}, stackByHash: map[uint64]uint64{}, stackByKey: map[string]uint64{},
	}
	now := time.Now()
	hdr := tracefmt.AppendHeader(nil, headerFields(now))
	if _, err := w.Write(hdr); err != nil {
		return fmt.Errorf("condiag trace: writing the header: %w", err)
	}
	if path != "" {
		l, err := newLive(path, now)
		if err != nil {
			fmt.Fprintf(os.Stderr, "condiag: trace %s: no live file, so the last 100 ms may be lost at exit: %v\n", path, err)
		}
		r.live = l
	}
	recording.Store(r)
	sink.SetBeforeHandler(r.onFinding)
	sink.SetHangHook(r.onHang)
	sink.SetBeforeExit(stopAtExit)
	// A signal the process ignores (SIGINT for a background job, say)
	// stays ignored: asking for it would make it deliverable.
	for _, sig := range []os.Signal{syscall.SIGINT, syscall.SIGTERM} {
		if !signal.Ignored(sig) {
			signal.Notify(r.sigc, sig)
		}
	}
	go r.loop()
	return nil
}

// StopTrace stops the recording, writes what is left and reports the
// first error met while writing.
func StopTrace() error {
	startMu.Lock()
	defer startMu.Unlock()
	r := recording.Load()
	if r == nil {
		return errors.New("condiag trace: not recording")
	}
	recording.Store(nil)
	sink.SetBeforeHandler(nil)
	sink.SetHangHook(nil)
	sink.SetBeforeExit(nil)
	signal.Stop(r.sigc)
	close(r.stopc)
	<-r.done
	r.stopped.Store(true)
	r.flush(tracefmt.FlagEnd)
	if r.live != nil && r.err == nil {
		r.live.close()
	}
	return r.err
}

func headerFields(now time.Time) []tracefmt.HeaderField {
	host, _ := os.Hostname()
	hang := int64(deadlock.HangThreshold())
	var race uint64
	if RaceOn() {
		race = 1
	}
	return []tracefmt.HeaderField{
		{Key: tracefmt.FieldPID, Type: tracefmt.ValUint, U: uint64(os.Getpid())},
		{Key: tracefmt.FieldPPID, Type: tracefmt.ValUint, U: uint64(os.Getppid())},
		{Key: tracefmt.FieldCmdline, Type: tracefmt.ValStrings, SS: os.Args},
		{Key: tracefmt.FieldStart, Type: tracefmt.ValUint, U: uint64(now.UnixNano())},
		{Key: tracefmt.FieldClock, Type: tracefmt.ValString, S: "monotonic ns"},
		{Key: tracefmt.FieldGoVersion, Type: tracefmt.ValString, S: runtime.Version()},
		{Key: tracefmt.FieldHang, Type: tracefmt.ValInt, I: max(hang, 0)},
		{Key: tracefmt.FieldHost, Type: tracefmt.ValString, S: host},
		{Key: tracefmt.FieldGOMAXPROC, Type: tracefmt.ValUint, U: uint64(runtime.GOMAXPROCS(0))},
		{Key: tracefmt.FieldRace, Type: tracefmt.ValUint, U: race},
	}
}

func (r *recorder) loop() {
	defer close(r.done)
	t := time.NewTicker(flushEvery())
	defer t.Stop()
	for {
		select {
		case <-t.C:
			r.flush(0)
		case sig := <-r.sigc:
			r.onSignal(sig)
		case <-r.stopc:
			return
		}
	}
}

// flushEvery is how often the recorder writes: every 100 ms, or as
// CONDIAG_TRACE_FLUSH says (a time.ParseDuration string, at least 1 ms).
func flushEvery() time.Duration {
	if v := os.Getenv("CONDIAG_TRACE_FLUSH"); v != "" {
		d, err := time.ParseDuration(v)
		if err == nil && d >= time.Millisecond {
			return d
		}
		fmt.Fprintf(os.Stderr, "condiag: ignoring CONDIAG_TRACE_FLUSH=%q: want a duration of at least 1ms\n", v)
	}
	return defaultFlushEvery
}

// onSignal writes what was recorded, then lets the signal do what it
// would have done without the recorder: the program's own handlers run
// (os/signal delivered it to them too) and, when there is none, the
// runtime's default action kills the process once the signal is raised
// again with the recorder's handler removed.
func (r *recorder) onSignal(sig os.Signal) {
	r.flush(tracefmt.FlagSignal)
	signal.Stop(r.sigc)
	if s, ok := sig.(syscall.Signal); ok {
		syscall.Kill(os.Getpid(), s)
	}
}

// onFinding writes what was recorded before a finding's handler runs,
// which may end the program.
func (r *recorder) onFinding() {
	if !r.stopped.Load() {
		r.flush(tracefmt.FlagFinding)
	}
}

// stopAtExit stops the trace before a test binary exits.
func stopAtExit() {
	if err := StopTrace(); err != nil {
		fmt.Fprintln(os.Stderr, err)
	}
}

// onHang records a change of the DL1005 threshold.
func (r *recorder) onHang(d time.Duration) {
	g := Current()
	b := g.tbegin(r, tracefmt.EvHang)
	b = binary.AppendUvarint(b, tracefmt.Zigzag(int64(d)))
	g.tend(b)
}

// flush cuts every buffer and writes one chunk: its framing and
// definitions in one write, its batches in a second.
func (r *recorder) flush(flags uint64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.err != nil {
		return
	}
	r.batches = r.batches[:0]
	for _, g := range states() {
		r.batches = g.tcut(r, r.batches)
	}
	r.pmu.Lock()
	orphans := r.orphans
	r.orphans = nil
	r.pmu.Unlock()
	for _, b := range orphans {
		r.batches = tracefmt.AppendBatch(r.batches, b.G, b.Stream, b.Offset, b.Base, b.Events)
		r.aside.Add(-int64(len(b.Events)))
	}
	r.partial.Store(0)
	r.writeChunk(flags)
}

// flushG writes g's events alone, as a partial chunk: g's buffer in the
// live file is full.
func (r *recorder) flushG(g *G) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.err != nil {
		return
	}
	r.batches = g.tcut(r, r.batches[:0])
	r.partial.Add(int64(len(r.batches)))
	r.writeChunk(tracefmt.FlagPartial)
}

// writeChunk writes r.batches as a chunk with the definitions they need.
// r.mu is held.
func (r *recorder) writeChunk(flags uint64) {
	now := uint64(nanotime() - r.start)
	body := tracefmt.Body{Flags: flags, Time: now}
	body.Stacks, body.Strings = r.newDefs()
	r.body = tracefmt.AppendDefs(r.body[:0], &body)
	r.buf = tracefmt.AppendChunkHeader(r.buf[:0], r.body, r.batches)
	r.buf = append(r.buf, r.body...)
	_, err := r.w.Write(r.buf)
	if err == nil && len(r.batches) > 0 {
		_, err = r.w.Write(r.batches)
	}
	if err != nil {
		r.err = fmt.Errorf("condiag trace: %w", err)
		fmt.Fprintf(os.Stderr, "condiag: trace recording stopped: %v\n", err)
	}
	if cap(r.batches) > 8*flushLimit {
		r.batches = nil
	}
}

// newDefs returns the stacks and strings defined since the last chunk,
// symbolizing the stacks.
func (r *recorder) newDefs() ([][]tracefmt.Frame, []string) {
	r.dmu.Lock()
	defs := r.stackDefs[r.doneStacks:len(r.stackDefs):len(r.stackDefs)]
	r.doneStacks = len(r.stackDefs)
	r.dmu.Unlock()
	syms := make([][]report.Frame, len(defs))
	for i, d := range defs {
		if d.pcs != nil {
			syms[i] = frames(d.pcs)
		} else {
			syms[i] = d.frames
		}
	}
	r.dmu.Lock()
	defer r.dmu.Unlock()
	stacks := make([][]tracefmt.Frame, len(defs))
	for i, fs := range syms {
		st := make([]tracefmt.Frame, len(fs))
		for j, f := range fs {
			st[j] = tracefmt.Frame{Func: r.str(f.Func), File: r.str(f.File), Line: uint64(max(f.Line, 0))}
		}
		stacks[i] = st
	}
	strs := r.strList[r.doneStr:]
	r.doneStr = len(r.strList)
	return stacks, strs
}

// str interns s; dmu is held.
func (r *recorder) str(s string) uint64 {
	if s == "" {
		return 0
	}
	if id, ok := r.strs[s]; ok {
		return id
	}
	r.strList = append(r.strList, s)
	id := uint64(len(r.strList))
	r.strs[s] = id
	return id
}

func (r *recorder) intern(s string) uint64 {
	r.dmu.Lock()
	n := len(r.strList)
	id := r.str(s)
	fresh := len(r.strList) > n
	r.dmu.Unlock()
	if fresh {
		r.defined()
	}
	return id
}

// defined makes a new definition durable before the event that uses it
// is published to the live file, where a reader finds events the trace
// does not hold: it writes it to the trace at once, in a chunk of its
// own. Stacks and strings are new rarely; without a live file, the next
// chunk carries them.
func (r *recorder) defined() {
	if r.live == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.err != nil {
		return
	}
	r.batches = r.batches[:0]
	r.writeChunk(tracefmt.FlagPartial)
}

func hashPCs(pcs []uintptr) uint64 {
	h := uint64(0xcbf29ce484222325)
	for _, pc := range pcs {
		h ^= uint64(pc)
		h *= 0x100000001b3
		h ^= h >> 31
	}
	h ^= uint64(len(pcs))
	h *= 0x9E3779B97F4A7C15
	return h
}

// stackID interns a stack of return addresses.
func (r *recorder) stackID(pcs []uintptr) uint64 {
	h := hashPCs(pcs)
	s := &r.cache[h>>(64-cacheBits)]
	const mask = 1<<cacheIDBits - 1
	if e := s.Load(); e&^mask == h&^mask && e&mask != 0 {
		return e & mask
	}
	return r.stackSlow(h, pcs)
}

func (r *recorder) stackSlow(h uint64, pcs []uintptr) uint64 {
	r.dmu.Lock()
	id, ok := r.stackByHash[h]
	if !ok {
		r.stackDefs = append(r.stackDefs, stackDef{pcs: append([]uintptr(nil), pcs...)})
		id = uint64(len(r.stackDefs))
		r.stackByHash[h] = id
	}
	r.dmu.Unlock()
	if !ok {
		r.defined()
	}
	const mask = 1<<cacheIDBits - 1
	if id <= mask {
		r.cache[h>>(64-cacheBits)].Store(h&^mask | id)
	}
	return id
}

// framesID interns a symbolized stack.
func (r *recorder) framesID(fs []report.Frame) uint64 {
	var b strings.Builder
	for _, f := range fs {
		fmt.Fprintf(&b, "%s\x00%s\x00%d\x00", f.Func, f.File, f.Line)
	}
	key := b.String()
	r.dmu.Lock()
	id, ok := r.stackByKey[key]
	if !ok {
		r.stackDefs = append(r.stackDefs, stackDef{frames: fs})
		id = uint64(len(r.stackDefs))
		r.stackByKey[key] = id
	}
	r.dmu.Unlock()
	if !ok {
		r.defined()
	}
	return id
}

// tcut encodes g's events since the last cut into out as one batch:
// those set aside in full buffers, then what was published in the
// current one. The full buffers go back to the free list.
func (g *G) tcut(r *recorder, out []byte) []byte {
	t := &g.tr
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.gen != r.gen {
		return out
	}
	pub := t.pub.Load()
	cur := t.buf[t.done:pub]
	if len(t.full) == 0 && len(cur) == 0 {
		return out
	}
	// Each full batch starts where the one before ended (thandoff sets
	// the base to the time of the last event): they are one run.
	base, off, n := t.base, t.off+uint64(t.done), len(cur)
	if len(t.full) > 0 {
		base, off = t.full[0].Base, t.full[0].Offset
	}
	for _, b := range t.full {
		n += len(b.Events)
	}
	out = tracefmt.AppendBatchHeader(out, g.goid, t.stream, off, base, n)
	for _, b := range t.full {
		out = append(out, b.Events...)
		r.aside.Add(-int64(len(b.Events)))
	}
	for _, b := range t.bufs {
		putBuf(b)
	}
	clear(t.full)
	clear(t.bufs)
	t.full, t.bufs = t.full[:0], t.bufs[:0]
	out = append(out, cur...)
	for ev := cur; len(ev) > 0; {
		n, dt, ok := tracefmt.EventLen(ev)
		if !ok {
			break
		}
		t.base += dt
		ev = ev[n:]
	}
	t.done = pub
	return out
}

// freeBufs holds trace buffers that were set aside and written, for
// reuse: a free list rather than a sync.Pool, which the collector empties.
var (
	freeMu   sync.Mutex
	freeBufs [][]byte
)

const maxFree = 1024

func getBuf() []byte {
	freeMu.Lock()
	defer freeMu.Unlock()
	if n := len(freeBufs); n > 0 {
		b := freeBufs[n-1]
		freeBufs[n-1] = nil
		freeBufs = freeBufs[:n-1]
		return b
	}
	return make([]byte, 0, tbufSize)
}

func putBuf(b []byte) {
	if cap(b) != tbufSize {
		return
	}
	freeMu.Lock()
	defer freeMu.Unlock()
	if len(freeBufs) < maxFree {
		freeBufs = append(freeBufs, b[:0])
	}
}

// tdetach sets aside what g's buffer holds, for a state that is being
// reused or dropped, and makes the next event start a new buffer.
func (g *G) tdetach() {
	t := &g.tr
	if t.buf == nil {
		return
	}
	t.mu.Lock()
	r := recording.Load()
	now := false // events leave the live file: write them at once
	if r != nil && t.gen == r.gen {
		bs := t.full
		if pub := t.pub.Load(); pub > t.done {
			bs = append(bs, tracefmt.Batch{
				G: g.goid, Stream: t.stream, Offset: t.off + uint64(t.done), Base: t.base,
				Events: append([]byte(nil), t.buf[t.done:pub]...),
			})
			now = t.slot != 0
		}
		r.pmu.Lock()
		r.orphans = append(r.orphans, bs...)
		r.pmu.Unlock()
	}
	if t.slot != 0 {
		t.lv.release(t.slot)
		t.slot, t.lv, t.buf = 0, nil, nil
	}
	t.full, t.bufs = nil, nil
	t.gen = 0
	t.mu.Unlock()
	if now {
		r.flushOrphans()
	}
}

// flushOrphans writes the events set aside from detached buffers, as a
// partial chunk: they were in the live file, where a reader would have
// found them after an exit, and are not any more.
func (r *recorder) flushOrphans() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.err != nil {
		return
	}
	r.pmu.Lock()
	orphans := r.orphans
	r.orphans = nil
	r.pmu.Unlock()
	r.batches = r.batches[:0]
	for _, b := range orphans {
		r.batches = tracefmt.AppendBatch(r.batches, b.G, b.Stream, b.Offset, b.Base, b.Events)
		r.aside.Add(-int64(len(b.Events)))
	}
	r.partial.Add(int64(len(r.batches)))
	r.writeChunk(tracefmt.FlagPartial)
}

// thandoff empties g's full buffer. One in the live file is written at
// once, as a partial chunk (or with everything else, when partial chunks
// add up), so that it stays where a reader finds it after an exit. One on
// the heap is set aside for the next cut, and g gets a new one.
func (g *G) thandoff(r *recorder) {
	t := &g.tr
	if t.slot != 0 {
		if r.partial.Load() > flushLimit {
			r.flush(0)
		} else {
			r.flushG(g)
		}
		t.mu.Lock()
		pub := t.pub.Load()
		t.pub.Store(0)
		t.off += uint64(pub)
		t.base = t.prev
		t.done = 0
		rebase(t.lv.slot(t.slot), t.off, t.prev)
		t.mu.Unlock()
		return
	}
	t.mu.Lock()
	pub := t.pub.Load()
	if pub > t.done {
		ev := t.buf[t.done:pub:pub]
		t.full = append(t.full, tracefmt.Batch{G: g.goid, Stream: t.stream, Offset: t.off + uint64(t.done), Base: t.base, Events: ev})
		t.bufs = append(t.bufs, t.buf)
		r.aside.Add(int64(len(ev)))
		t.buf = getBuf()
	}
	t.off += uint64(pub)
	t.base = t.prev
	t.done = 0
	t.pub.Store(0)
	t.mu.Unlock()
	if r.aside.Load() > flushLimit {
		r.flush(0)
	}
}

// tinit starts g's buffer in generation r.gen, in a slot of the live
// file if there is one free, and announces g.
func (g *G) tinit(r *recorder) {
	t := &g.tr
	t.mu.Lock()
	if t.slot != 0 {
		// A slot of an earlier recording's live file.
		t.slot, t.lv, t.buf = 0, nil, nil
	}
	t.stream = r.streams.Add(1)
	if r.live != nil {
		if i := r.live.take(t.stream, g.goid); i != 0 {
			s := r.live.slot(i)
			t.slot, t.lv = i, r.live
			t.buf = s[tracefmt.LiveSlotHeader:tracefmt.LiveSlotHeader]
			t.pub = slotPub(s)
		}
	}
	if t.slot == 0 {
		if t.buf == nil {
			t.buf = getBuf()
		}
		t.pub = &t.hpub
	}
	t.full, t.bufs = nil, nil
	t.done, t.base, t.prev, t.off = 0, 0, 0, 0
	t.pub.Store(0)
	t.gen = r.gen
	t.mu.Unlock()
	creator, site := g.creation()
	var siteID uint64
	if site.File != "" {
		siteID = r.framesID([]report.Frame{site})
	}
	b := g.tbegin(r, tracefmt.EvGoroutine)
	b = binary.AppendUvarint(b, creator)
	b = binary.AppendUvarint(b, siteID)
	b = binary.AppendUvarint(b, g.prevGoid)
	g.tend(b)
	g.theld(r)
}

// theld records the locks g holds as its first events of a recording:
// taken before the recording started (or g's events of it began), they
// are not in it otherwise. Only g changes its chain, so it is exact.
func (g *G) theld(r *recorder) {
	for i := 0; i < g.n; i++ {
		e := &g.held[i]
		if !g.mayHold(e) {
			continue
		}
		if e.l.tstate.Load() != r.want && !g.naming {
			// (While g records a naming, slowMu is held, which announce
			// takes: the lock is announced by its next event instead.)
			r.announce(g, e.l)
		}
		var st uint64
		if e.pc != 0 {
			st = r.stackID([]uintptr{e.pc})
		}
		b := g.tbegin(r, tracefmt.EvHeld)
		b = binary.AppendUvarint(b, e.l.id)
		b = binary.AppendUvarint(b, flag(e.mode == Write))
		b = binary.AppendUvarint(b, st)
		g.tend(b)
	}
}

// creation returns the id of the goroutine that created g, the calling
// one, and where: worked out once per goroutine (the trace and the race
// checks both ask).
func (g *G) creation() (uint64, report.Frame) {
	if !g.created {
		g.creator, g.createdAt = creation()
		g.created = true
	}
	return g.creator, g.createdAt
}

// creation returns the id of the goroutine that created the calling one
// and where, from its traceback.
func creation() (uint64, report.Frame) {
	buf := make([]byte, 4096)
	for {
		n := runtime.Stack(buf, false)
		if n < len(buf) || len(buf) >= 1<<20 {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	s := string(buf)
	i := strings.LastIndex(s, "\ncreated by ")
	if i < 0 {
		return 0, report.Frame{}
	}
	lines := strings.SplitN(s[i+1:], "\n", 3)
	fn := strings.TrimPrefix(lines[0], "created by ")
	var creator uint64
	if j := strings.Index(fn, " in goroutine "); j >= 0 {
		creator, _ = strconv.ParseUint(fn[j+len(" in goroutine "):], 10, 64)
		fn = fn[:j]
	}
	f := report.Frame{Func: fn}
	if len(lines) > 1 {
		loc := strings.TrimSpace(lines[1])
		if j := strings.LastIndex(loc, " +0x"); j >= 0 {
			loc = loc[:j]
		}
		if j := strings.LastIndex(loc, ":"); j >= 0 {
			f.File = loc[:j]
			f.Line, _ = strconv.Atoi(loc[j+1:])
		}
	}
	return creator, f
}

// tbegin starts an event of kind k in g's buffer and returns the buffer
// with the kind and the time delta appended; [G.tend] publishes it.
func (g *G) tbegin(r *recorder, k tracefmt.Kind) []byte {
	t := &g.tr
	if t.gen != r.gen {
		g.tinit(r)
	}
	n := int(t.pub.Load())
	if cap(t.buf)-n < tracefmt.MaxEvent {
		g.thandoff(r)
		n = 0
	}
	now := uint64(nanotime() - r.start)
	if now < t.prev {
		now = t.prev
	}
	dt := now - t.prev
	t.prev = now
	b := append(t.buf[:n], byte(k))
	return binary.AppendUvarint(b, dt)
}

func (g *G) tend(b []byte) { g.tr.pub.Store(uint32(len(b))) }

// announce makes sure l was described in this trace before g's event
// about it.
func (r *recorder) announce(g *G, l *Lock) {
	if g.tr.gen != r.gen {
		// g's first event of the recording: its Held events announce
		// the locks it holds, l perhaps, before l is marked as being
		// announced here.
		g.tinit(r)
	}
	for {
		s := l.tstate.Load()
		if s == r.want {
			return
		}
		if s == r.want&^1 {
			runtime.Gosched() // another goroutine is announcing it
			continue
		}
		if l.tstate.CompareAndSwap(s, r.want&^1) {
			break
		}
	}
	var site uint64
	if l.kind == KindMutex || l.kind == KindRWMutex || l.kind == KindOnce {
		l.sited()
		for !l.pcsReady.Load() {
			runtime.Gosched()
		}
		site = r.stackID(l.pcs[:l.npcs])
	} else if l.npcs > 0 {
		site = r.stackID(l.pcs[:l.npcs])
	}
	slowMu.Lock()
	var class, name string
	if l.class != nil && l.class.named {
		class = l.class.key
	}
	sub, name := l.subclass, l.name
	slowMu.Unlock()
	b := g.tbegin(r, tracefmt.EvObject)
	b = binary.AppendUvarint(b, l.id)
	b = binary.AppendUvarint(b, uint64(l.kind))
	b = binary.AppendUvarint(b, site)
	g.tend(b)
	if class != "" {
		g.tnaming(r, l, tracefmt.EvClass, class, 0)
	}
	if sub != 0 {
		g.tnaming(r, l, tracefmt.EvSubclass, "", sub)
	}
	if name != "" {
		g.tnaming(r, l, tracefmt.EvName, name, 0)
	}
	if l.res != nil && l.size != 0 {
		b := g.tbegin(r, tracefmt.EvOp)
		b = binary.AppendUvarint(b, l.id)
		b = binary.AppendUvarint(b, uint64(tracefmt.OpSize))
		b = binary.AppendUvarint(b, tracefmt.Zigzag(l.size))
		b = binary.AppendUvarint(b, 0)
		g.tend(b)
	}
	l.tstate.Store(r.want)
}

func (g *G) tnaming(r *recorder, l *Lock, k tracefmt.Kind, s string, n int) {
	var arg uint64
	if k == tracefmt.EvSubclass {
		arg = tracefmt.Zigzag(int64(n))
	} else {
		arg = r.intern(s)
	}
	b := g.tbegin(r, k)
	b = binary.AppendUvarint(b, l.id)
	b = binary.AppendUvarint(b, arg)
	g.tend(b)
}

// traceNaming records a SetClass, SetSubclass or SetName of a lock that
// was announced already (or is being announced: then the event may
// repeat what the announcement says). slowMu is held.
func traceNaming(l *Lock, k tracefmt.Kind, s string, n int) {
	r := recording.Load()
	if r == nil || l.tstate.Load()>>1 != uint64(r.gen) {
		return
	}
	g := Current()
	g.naming = true
	g.tnaming(r, l, k, s, n)
	g.naming = false
}

// tlock records an event about l with the caller's stack.
//
//go:noinline
func (g *G) tlock(r *recorder, l *Lock, k tracefmt.Kind) {
	if l.tstate.Load() != r.want {
		r.announce(g, l)
	}
	var pcs [stackDepth]uintptr
	n := callers.Get(pcs[:])
	st := r.stackID(pcs[:n])
	b := g.tbegin(r, k)
	b = binary.AppendUvarint(b, l.id)
	b = binary.AppendUvarint(b, st)
	g.tend(b)
}

// tobj records an event about l with no stack.
func (g *G) tobj(r *recorder, l *Lock, k tracefmt.Kind) {
	if l.tstate.Load() != r.want {
		r.announce(g, l)
	}
	b := g.tbegin(r, k)
	b = binary.AppendUvarint(b, l.id)
	g.tend(b)
}

func lockKind(mode Mode, write, read tracefmt.Kind) tracefmt.Kind {
	if mode == Read {
		return read
	}
	return write
}

// TraceTryFail records a failed TryLock or TryRLock of l.
func TraceTryFail(l *Lock, mode Mode) {
	if r := recording.Load(); r != nil {
		Current().tobj(r, l, lockKind(mode, tracefmt.EvTryFail, tracefmt.EvTryRFail))
	}
}

// TraceWaitGroupAdd records wg.Add(delta) of the wait group whose state
// is l.
func TraceWaitGroupAdd(l *Lock, delta int) {
	r := recording.Load()
	if r == nil {
		return
	}
	g := Current()
	if l.tstate.Load() != r.want {
		r.announce(g, l)
	}
	b := g.tbegin(r, tracefmt.EvWGAdd)
	b = binary.AppendUvarint(b, l.id)
	b = binary.AppendUvarint(b, tracefmt.Zigzag(int64(delta)))
	g.tend(b)
}

// TraceWaitGroupWait records the start of a Wait on l; the caller calls
// the returned function when it returns.
//
//go:noinline
func TraceWaitGroupWait(l *Lock) {
	if r := recording.Load(); r != nil {
		Current().tlock(r, l, tracefmt.EvWGWait)
	}
}

// TraceWaitGroupWaited records the end of a Wait on l.
func TraceWaitGroupWaited(l *Lock) {
	if r := recording.Load(); r != nil {
		Current().tobj(r, l, tracefmt.EvWGWaited)
	}
}

// TraceCondWait records the start of a Wait on the cond whose state is l,
// with the state of its locker (nil if it is not a condiag lock).
//
//go:noinline
func TraceCondWait(l, locker *Lock) {
	r := recording.Load()
	if r == nil {
		return
	}
	g := Current()
	if l.tstate.Load() != r.want {
		r.announce(g, l)
	}
	var lid uint64
	if locker != nil {
		if locker.tstate.Load() != r.want {
			r.announce(g, locker)
		}
		lid = locker.id
	}
	var pcs [stackDepth]uintptr
	n := callers.Get(pcs[:])
	st := r.stackID(pcs[:n])
	b := g.tbegin(r, tracefmt.EvCondWait)
	b = binary.AppendUvarint(b, l.id)
	b = binary.AppendUvarint(b, lid)
	b = binary.AppendUvarint(b, st)
	g.tend(b)
}

// TraceCond records a CondWoken, CondSignal or CondBroadcast event.
func TraceCond(l *Lock, k tracefmt.Kind) {
	if r := recording.Load(); r != nil {
		Current().tobj(r, l, k)
	}
}

// traceMisuse records a misuse of l (nil when the primitive has no
// state) of the given kind.
func traceMisuse(g *G, l *Lock, kind Kind, op string, pcs []uintptr) {
	r := recording.Load()
	if r == nil {
		return
	}
	var id uint64
	if l != nil {
		if l.tstate.Load() != r.want {
			r.announce(g, l)
		}
		id = l.id
	}
	opID := r.intern(op)
	st := r.stackID(pcs)
	b := g.tbegin(r, tracefmt.EvMisuse)
	b = binary.AppendUvarint(b, id)
	b = binary.AppendUvarint(b, uint64(kind))
	b = binary.AppendUvarint(b, opID)
	b = binary.AppendUvarint(b, st)
	g.tend(b)
}

// NewObject returns the state of a wait group or cond, which take part in
// the trace but not in the lock-order graph. Its site is where it was
// first used while tracing.
//
//go:noinline
func NewObject(kind Kind) *Lock {
	l := NewLock(kind)
	l.unsited.Store(false)
	l.npcs = uint8(callers.Get(l.pcs[:]))
	l.pcsReady.Store(true)
	return l
}

func init() {
	if path := os.Getenv("CONDIAG_TRACE"); path != "" {
		if err := startFromEnv(path); err != nil {
			fmt.Fprintf(os.Stderr, "condiag: CONDIAG_TRACE=%s: %v\n", path, err)
		}
	}
}

// TracePath expands %p in a CONDIAG_TRACE path to the process id (%% is
// a percent sign).
func TracePath(path string, pid int) string {
	var b strings.Builder
	for i := 0; i < len(path); i++ {
		if path[i] == '%' && i+1 < len(path) {
			switch path[i+1] {
			case 'p':
				b.WriteString(strconv.Itoa(pid))
				i++
				continue
			case '%':
				b.WriteByte('%')
				i++
				continue
			}
		}
		b.WriteByte(path[i])
	}
	return b.String()
}

func startFromEnv(path string) error {
	path = TracePath(path, os.Getpid())
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	if err := startTrace(f, path); err != nil {
		f.Close()
		return err
	}
	return nil
}
