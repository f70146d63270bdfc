package trace

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/bits"
	"os"
	"time"

	"github.com/condiag/condiag/internal/tracefmt"
	"github.com/condiag/condiag/report"
)

// Header describes the process that recorded a trace.
type Header struct {
	Version       int
	PID, PPID     int
	Cmdline       []string
	Start         time.Time     // wall clock when recording started
	GoVersion     string        // runtime.Version() of the program
	Host          string        // host name
	GOMAXPROCS    int           //
	HangThreshold time.Duration // DL1005 threshold of the program; 0 when off
	// Race says the race checks ran when recording started (a shared
	// location was declared before).
	Race bool
	// Kinds lists the event kinds the file declares, by number, with
	// their names.
	Kinds map[Kind]string
}

// FormatError is a trace that is not well formed: corrupt, or not a
// trace at all.
type FormatError struct {
	Offset int64 // byte offset in the file
	Msg    string
}

func (e *FormatError) Error() string {
	if e.Offset < 0 {
		return e.Msg // in the live file, which has no offsets of its own
	}
	return fmt.Sprintf("offset %d: %s", e.Offset, e.Msg)
}

// Truncation says what a reader skipped at the end of a file that ends
// inside a chunk: a program killed while writing, or a copy cut short.
type Truncation struct {
	Offset int64 // where the incomplete chunk starts
	Bytes  int64 // how many of its bytes are there
}

func (t *Truncation) String() string {
	return fmt.Sprintf("the file ends inside the chunk at offset %d: skipped its %d bytes (a program killed while writing, or a copy cut short)", t.Offset, t.Bytes)
}

// argType is one argument of a kind as the file declares it.
type fileSpec struct {
	known bool
	types []byte
}

// Where the arguments of an event go.
const (
	dstNone = iota
	dstObj
	dstArg
	dstInt
	dstStr
	dstStack
	dstArg2
	dstInt2
)

// layout says where each argument of a kind goes, from the types the
// file declares.
type layout struct {
	n   uint8
	dst []uint8
}

// chunkBuf is the body of a chunk, shared by its cursors.
type chunkBuf struct {
	b    []byte
	refs int
}

// cursor walks the events of one batch.
type cursor struct {
	liveName string // the live file the events come from, if they do
	stream   uint64
	chunk    *chunkBuf
	g        uint64
	t        uint64 // time of the next event
	b        []byte
	off      int64 // file offset of b[0]
	seq      uint64
	kind     Kind
	dtn      int // length of the kind byte and dt of the next event
}

// Reader reads a trace, one event at a time, in time order. It holds two
// chunks at most (one chunk is about 100 ms of the program) plus the
// tables of strings and stacks, so its memory does not grow with the
// length of the trace.
//
// Events of different goroutines are merged by time. The recorder cuts
// every goroutine's buffer when it writes a chunk, so an event can only
// appear in a chunk after one holding later events if its goroutine was
// descheduled between taking its time and publishing it; the reader
// waits for the next chunk before passing the events of one, which
// orders all but such stragglers.
type Reader struct {
	br      *bufio.Reader
	off     int64
	hdr     Header
	specs   [256]fileSpec
	layouts [256]layout
	free    [][]byte
	lim     uint64
	limOK   bool
	strings []string
	stacks  [][]report.Frame

	heap    []*cursor
	cur     *cursor
	horizon uint64
	prevT   uint64
	seq     uint64
	body    []byte

	eof bool
	err error

	file      *os.File // opened by OpenFile
	size      int64
	streams   map[uint64]*streamEnd
	live      *liveFile // to read at the end of the chunks
	liveBytes int64
	liveErr   error
	lastT     uint64 // time of the latest event read

	trunc   *Truncation
	ended   bool
	lost    uint64
	chunks  int
	endTime uint64
	events  int64
}

// NewReader reads the header of a trace and returns a reader for its
// events.
func NewReader(r io.Reader) (*Reader, error) {
	rd := &Reader{br: bufio.NewReaderSize(r, 1<<16)}
	if err := rd.readHeader(); err != nil {
		return nil, err
	}
	return rd, nil
}

// Header returns the trace's header.
func (r *Reader) Header() Header { return r.hdr }

// Truncated returns what was skipped at the end of a truncated file, or
// nil. It is known once Next returned io.EOF.
func (r *Reader) Truncated() *Truncation { return r.trunc }

// Ended reports whether the trace was stopped cleanly (trace.Stop): when
// not, the program exited or was killed, and whatever it did after the
// last chunk is missing. Known once Next returned io.EOF.
func (r *Reader) Ended() bool { return r.ended }

// Lost returns how many events the recorder reported lost.
func (r *Reader) Lost() uint64 { return r.lost }

// EndTime returns the time of the last chunk read: the trace covers the
// program up to then.
func (r *Reader) EndTime() time.Duration { return time.Duration(max(r.endTime, r.lastT)) }

// Offset returns how many bytes of the file were read.
func (r *Reader) Offset() int64 { return r.off }

// Events returns how many events Next returned.
func (r *Reader) Events() int64 { return r.events }

// Stack returns the frames of a stack, innermost first (condiag's own
// frames are not recorded). It returns nil for 0 or an unknown id.
func (r *Reader) Stack(id StackID) []report.Frame {
	if id == 0 || id > StackID(len(r.stacks)) {
		return nil
	}
	return r.stacks[id-1]
}

// failc reports damage in the events of cursor c, at delta bytes past
// its position.
func (r *Reader) failc(c *cursor, delta int64, format string, args ...any) error {
	if c.liveName != "" {
		return &FormatError{Offset: -1, Msg: c.liveName + ": " + fmt.Sprintf(format, args...)}
	}
	return r.fail(c.off+delta, format, args...)
}

func (r *Reader) fail(off int64, format string, args ...any) error {
	return &FormatError{Offset: off, Msg: fmt.Sprintf(format, args...)}
}

// byteReader counts what it reads from the buffered file.
func (r *Reader) readByte() (byte, error) {
	c, err := r.br.ReadByte()
	if err == nil {
		r.off++
	}
	return c, err
}

func (r *Reader) readUvarint() (uint64, error) {
	var x uint64
	var s uint
	for i := 0; i < binary.MaxVarintLen64; i++ {
		c, err := r.readByte()
		if err != nil {
			return 0, err
		}
		if c < 0x80 {
			if i == binary.MaxVarintLen64-1 && c > 1 {
				return 0, r.fail(r.off-1, "varint overflows 64 bits")
			}
			return x | uint64(c)<<s, nil
		}
		x |= uint64(c&0x7f) << s
		s += 7
	}
	return 0, r.fail(r.off, "varint overflows 64 bits")
}

// readFull reads n bytes into buf, reusing its capacity. It allocates
// as the data arrives, 1 MB at a time, so that a corrupt length costs no
// more memory than the file has.
func (r *Reader) readFull(buf []byte, n int) ([]byte, int, error) {
	if cap(buf) >= n {
		buf = buf[:n]
		m, err := io.ReadFull(r.br, buf)
		r.off += int64(m)
		return buf[:m], m, err
	}
	buf = buf[:0]
	for len(buf) < n {
		step := min(n-len(buf), 1<<20)
		start := len(buf)
		if cap(buf) < start+step {
			// Round up, so that the buffer serves the chunks that
			// follow, which are about as large.
			grown := make([]byte, start, 1<<bits.Len(uint(start+step-1)))
			copy(grown, buf)
			buf = grown
		}
		buf = buf[:start+step]
		m, err := io.ReadFull(r.br, buf[start:])
		r.off += int64(m)
		if err != nil {
			return buf[:start+m], start + m, err
		}
	}
	return buf, n, nil
}

func (r *Reader) readHeader() error {
	magic := make([]byte, len(tracefmt.Magic))
	n, err := io.ReadFull(r.br, magic)
	r.off += int64(n)
	if err != nil {
		if n == 0 {
			return r.fail(0, "empty file: not a condiag trace")
		}
		return r.fail(0, "file too short for a condiag trace (%d bytes)", n)
	}
	if string(magic) != tracefmt.Magic {
		return r.fail(0, "not a condiag trace (bad magic %q)", magic)
	}
	v, err := r.readUvarint()
	if err != nil {
		return r.headerErr(err)
	}
	if v != tracefmt.Version {
		if v > tracefmt.Version {
			return r.fail(int64(len(magic)), "format version %d is newer than this condiag reads (%d): update condiag", v, tracefmt.Version)
		}
		return r.fail(int64(len(magic)), "unknown format version %d", v)
	}
	r.hdr.Version = int(v)
	hlen, err := r.readUvarint()
	if err != nil {
		return r.headerErr(err)
	}
	start := r.off
	if hlen > 1<<20 {
		return r.fail(start, "header length %d is absurd", hlen)
	}
	h, _, err := r.readFull(nil, int(hlen))
	if err != nil {
		return r.headerErr(err)
	}
	d := decoder{b: h, off: start, r: r}
	if err := d.header(&r.hdr, &r.specs); err != nil {
		return err
	}
	for k, sp := range r.specs {
		if !sp.known {
			continue
		}
		lay := layout{n: uint8(min(len(sp.types), 255)), dst: make([]uint8, min(len(sp.types), 255))}
		// The first object goes to Obj; the first number (or second
		// object) to Arg, the second to Arg2, the rest nowhere.
		objs, nums := 0, 0
		num := func(signed bool) uint8 {
			nums++
			switch {
			case nums == 1 && signed:
				return dstInt
			case nums == 1:
				return dstArg
			case nums == 2 && signed:
				return dstInt2
			case nums == 2:
				return dstArg2
			}
			return dstNone
		}
		for i := range lay.dst {
			switch sp.types[i] {
			case tracefmt.ArgObj:
				if objs == 0 {
					lay.dst[i] = dstObj
				} else {
					lay.dst[i] = num(false)
				}
				objs++
			case tracefmt.ArgInt:
				lay.dst[i] = num(true)
			case tracefmt.ArgUint, tracefmt.ArgG:
				lay.dst[i] = num(false)
			case tracefmt.ArgString:
				lay.dst[i] = dstStr
			case tracefmt.ArgStack:
				lay.dst[i] = dstStack
			}
		}
		r.layouts[k] = lay
	}
	return nil
}

func (r *Reader) headerErr(err error) error {
	var fe *FormatError
	if errors.As(err, &fe) {
		return err
	}
	return r.fail(r.off, "the file ends inside the header")
}

// Next returns the next event in time order, io.EOF after the last one,
// or a *FormatError. After io.EOF, [Reader.Truncated] says whether the
// file was cut short.
func (r *Reader) Next() (Event, error) {
	var e Event
	err := r.Read(&e)
	return e, err
}

// Read is Next for a caller that keeps one Event: it fills e, which
// saves copying events on the hot path of an analysis.
func (r *Reader) Read(e *Event) error {
	if c := r.cur; c != nil && len(c.b) > 0 && (c.t < r.lim || c.t == r.lim && r.limOK) {
		return r.emit(c, e)
	}
	return r.nextSlow(e)
}

func (r *Reader) nextSlow(e *Event) error {
	for {
		if r.err != nil {
			return r.err
		}
		if c := r.cur; c != nil {
			r.cur = nil
			if len(c.b) > 0 {
				r.push(c)
			} else {
				r.release(c)
			}
		}
		if len(r.heap) > 0 && (r.eof || r.heap[0].t <= r.horizon) {
			c := r.pop()
			r.cur = c
			// c may run until the next queued cursor or the horizon.
			r.lim, r.limOK = ^uint64(0), true
			if !r.eof {
				r.lim = r.horizon
			}
			if len(r.heap) > 0 {
				top := r.heap[0]
				if top.t < r.lim {
					r.lim, r.limOK = top.t, c.seq < top.seq
				} else if top.t == r.lim {
					r.limOK = c.seq < top.seq
				}
			}
			return r.emit(c, e)
		}
		if r.eof {
			return io.EOF
		}
		if err := r.readChunk(); err != nil {
			r.err = err
		}
		if r.eof && r.live != nil && !r.ended {
			if err := r.readLive(); err != nil {
				r.err = err
			}
		}
	}
}

func less(a, b *cursor) bool {
	if a.t != b.t {
		return a.t < b.t
	}
	return a.seq < b.seq
}

func (r *Reader) push(c *cursor) {
	r.heap = append(r.heap, c)
	h := r.heap
	for i := len(h) - 1; i > 0; {
		p := (i - 1) / 2
		if !less(h[i], h[p]) {
			break
		}
		h[i], h[p] = h[p], h[i]
		i = p
	}
}

func (r *Reader) pop() *cursor {
	h := r.heap
	top := h[0]
	last := len(h) - 1
	h[0] = h[last]
	h[last] = nil
	h = h[:last]
	for i := 0; ; {
		l, rr, m := 2*i+1, 2*i+2, i
		if l < len(h) && less(h[l], h[m]) {
			m = l
		}
		if rr < len(h) && less(h[rr], h[m]) {
			m = rr
		}
		if m == i {
			break
		}
		h[i], h[m] = h[m], h[i]
		i = m
	}
	r.heap = h
	return top
}

// peek decodes the kind and dt of c's next event.
func (r *Reader) peek(c *cursor) error {
	if len(c.b) == 0 {
		return nil
	}
	c.kind = Kind(c.b[0])
	if !r.specs[c.kind].known {
		return r.failc(c, 0, "event of undeclared kind %d", c.kind)
	}
	dt, n := binary.Uvarint(c.b[1:])
	if n <= 0 {
		return r.failc(c, 0, "bad time delta")
	}
	c.t += dt
	c.dtn = 1 + n
	return nil
}

// emit decodes c's next event into e and moves c past it.
func (r *Reader) emit(c *cursor, e *Event) error {
	*e = Event{Kind: c.kind, Time: time.Duration(c.t), G: c.g}
	b := c.b[c.dtn:]
	lay := &r.layouts[c.kind]
	for _, dst := range lay.dst {
		var v uint64
		if len(b) > 0 && b[0] < 0x80 {
			v, b = uint64(b[0]), b[1:]
		} else {
			x, n := binary.Uvarint(b)
			if n <= 0 {
				return r.stop(r.failc(c, int64(len(c.b)-len(b)), "event cut short"))
			}
			v, b = x, b[n:]
		}
		switch dst {
		case dstObj:
			e.Obj = v
		case dstArg:
			e.Arg = int64(v)
		case dstInt:
			e.Arg = tracefmt.Unzigzag(v)
		case dstArg2:
			e.Arg2 = int64(v)
		case dstInt2:
			e.Arg2 = tracefmt.Unzigzag(v)
		case dstStr:
			if v > uint64(len(r.strings)) {
				return r.stop(r.failc(c, 0, "reference to undefined string %d", v))
			}
			if v > 0 {
				e.Str = r.strings[v-1]
			}
		case dstStack:
			if v > uint64(len(r.stacks)) {
				return r.stop(r.failc(c, 0, "reference to undefined stack %d", v))
			}
			e.Stack = StackID(v)
		}
	}
	c.off += int64(len(c.b) - len(b))
	c.b = b
	r.events++
	r.lastT = max(r.lastT, c.t)
	if len(b) == 0 {
		return nil
	}
	// Peek at the next event: its kind and time.
	k := Kind(b[0])
	if !r.specs[k].known {
		return r.stop(r.failc(c, 0, "event of undeclared kind %d", k))
	}
	if len(b) > 1 && b[1] < 0x80 {
		c.kind, c.t, c.dtn = k, c.t+uint64(b[1]), 2
		return nil
	}
	if err := r.peek(c); err != nil {
		return r.stop(err)
	}
	return nil
}

func (r *Reader) stop(err error) error {
	r.err = err
	return err
}

// readChunk reads the next chunk and queues its batches.
func (r *Reader) readChunk() error {
	start := r.off
	tag, err := r.readByte()
	if err == io.EOF {
		r.eof = true
		return nil
	}
	if err != nil {
		return err
	}
	if tag != tracefmt.ChunkTag {
		return r.fail(start, "expected a chunk, found byte 0x%02x", tag)
	}
	n, err := r.readUvarint()
	if err != nil {
		return r.truncated(start, err)
	}
	if n > tracefmt.MaxChunk {
		return r.fail(start, "chunk length %d exceeds the limit of %d", n, tracefmt.MaxChunk)
	}
	var sum [4]byte
	if m, err := io.ReadFull(r.br, sum[:]); err != nil {
		r.off += int64(m)
		return r.truncated(start, err)
	}
	r.off += 4
	var buf []byte
	if k := len(r.free); k > 0 {
		buf, r.free = r.free[k-1], r.free[:k-1]
	}
	body, _, err := r.readFull(buf, int(n))
	if err != nil {
		return r.truncated(start, err)
	}
	if tracefmt.Checksum(body) != binary.LittleEndian.Uint32(sum[:]) {
		return r.fail(start, "chunk checksum mismatch: the file is corrupt")
	}
	bodyOff := r.off - int64(n)
	d := decoder{b: body, off: bodyOff, r: r}
	cb := &chunkBuf{b: body}
	if err := r.decodeBody(&d, cb); err != nil {
		return err
	}
	if cb.refs == 0 {
		r.recycle(cb.b)
	}
	r.chunks++
	return nil
}

func (r *Reader) truncated(start int64, err error) error {
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		r.trunc = &Truncation{Offset: start, Bytes: r.off - start}
		r.eof = true
		return nil
	}
	var fe *FormatError
	if errors.As(err, &fe) {
		return err
	}
	return fmt.Errorf("offset %d: %w", r.off, err)
}

// release drops an exhausted cursor; the last of a chunk gives its
// buffer back.
func (r *Reader) release(c *cursor) {
	if c.stream != 0 {
		if e := r.streams[c.stream]; e != nil && e.c == c {
			e.c, e.t = nil, c.t
		}
	}
	if cb := c.chunk; cb != nil {
		c.chunk = nil
		if cb.refs--; cb.refs == 0 {
			r.recycle(cb.b)
		}
	}
}

func (r *Reader) recycle(b []byte) {
	if len(r.free) < 2 && cap(b) <= 4<<20 {
		r.free = append(r.free, b[:0])
	}
}

func (r *Reader) decodeBody(d *decoder, cb *chunkBuf) error {
	flags, err := d.uvarint()
	if err != nil {
		return err
	}
	t, err := d.uvarint()
	if err != nil {
		return err
	}
	lost, err := d.uvarint()
	if err != nil {
		return err
	}
	ns, err := d.count(1, "strings")
	if err != nil {
		return err
	}
	for range ns {
		s, err := d.str()
		if err != nil {
			return err
		}
		r.strings = append(r.strings, s)
	}
	nk, err := d.count(1, "stacks")
	if err != nil {
		return err
	}
	for range nk {
		nf, err := d.count(3, "frames")
		if err != nil {
			return err
		}
		st := make([]report.Frame, nf)
		for j := range st {
			var v [3]uint64
			for k := range v {
				if v[k], err = d.uvarint(); err != nil {
					return err
				}
			}
			if v[0] > uint64(len(r.strings)) || v[1] > uint64(len(r.strings)) {
				return r.fail(d.off, "frame refers to an undefined string")
			}
			st[j] = report.Frame{Func: r.strAt(v[0]), File: r.strAt(v[1]), Line: int(min(v[2], 1<<31))}
		}
		r.stacks = append(r.stacks, st)
	}
	for len(d.b) > 0 {
		g, err := d.uvarint()
		if err != nil {
			return err
		}
		stream, err := d.uvarint()
		if err != nil {
			return err
		}
		soff, err := d.uvarint()
		if err != nil {
			return err
		}
		base, err := d.uvarint()
		if err != nil {
			return err
		}
		n, err := d.count(1, "event bytes")
		if err != nil {
			return err
		}
		r.seq++
		c := &cursor{g: g, t: base, b: d.b[:n:n], off: d.off, seq: r.seq, stream: stream}
		d.b = d.b[n:]
		d.off += int64(n)
		if stream != 0 {
			r.noteStream(stream, soff+uint64(n), c)
		}
		if len(c.b) > 0 {
			if err := r.peek(c); err != nil {
				return err
			}
			c.chunk = cb
			cb.refs++
			r.push(c)
		}
	}
	r.lost += lost
	if flags&tracefmt.FlagEnd != 0 {
		r.ended = true
	}
	r.endTime = max(r.endTime, t)
	if flags&tracefmt.FlagPartial == 0 {
		// A partial chunk holds one goroutine's buffer: it says
		// nothing of the events of the others before its time.
		r.horizon = r.prevT
		r.prevT = t
	}
	return nil
}

func (r *Reader) strAt(id uint64) string {
	if id == 0 {
		return ""
	}
	return r.strings[id-1]
}

// decoder decodes a byte slice read from the file at offset off.
type decoder struct {
	b   []byte
	off int64
	r   *Reader
}

func (d *decoder) uvarint() (uint64, error) {
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		if n == 0 {
			return 0, d.r.fail(d.off, "record cut short")
		}
		return 0, d.r.fail(d.off, "varint overflows 64 bits")
	}
	d.b = d.b[n:]
	d.off += int64(n)
	return v, nil
}

// count reads a count of items at least min bytes long each, and checks
// it against what is left.
func (d *decoder) count(min int, what string) (int, error) {
	off := d.off
	v, err := d.uvarint()
	if err != nil {
		return 0, err
	}
	if v > uint64(len(d.b)/min) {
		return 0, d.r.fail(off, "%d %s do not fit in the %d bytes left", v, what, len(d.b))
	}
	return int(v), nil
}

func (d *decoder) str() (string, error) {
	n, err := d.count(1, "string bytes")
	if err != nil {
		return "", err
	}
	s := string(d.b[:n])
	d.b = d.b[n:]
	d.off += int64(n)
	return s, nil
}

func (d *decoder) header(h *Header, specs *[256]fileSpec) error {
	nf, err := d.count(2, "header fields")
	if err != nil {
		return err
	}
	for range nf {
		key, err := d.str()
		if err != nil {
			return err
		}
		if len(d.b) == 0 {
			return d.r.fail(d.off, "header field %q has no value", key)
		}
		typ := d.b[0]
		d.b, d.off = d.b[1:], d.off+1
		var u uint64
		var s string
		var ss []string
		switch typ {
		case tracefmt.ValUint, tracefmt.ValInt:
			if u, err = d.uvarint(); err != nil {
				return err
			}
		case tracefmt.ValString:
			if s, err = d.str(); err != nil {
				return err
			}
		case tracefmt.ValStrings:
			n, err := d.count(1, "strings")
			if err != nil {
				return err
			}
			for range n {
				x, err := d.str()
				if err != nil {
					return err
				}
				ss = append(ss, x)
			}
		default:
			return d.r.fail(d.off-1, "header field %q has unknown type %d", key, typ)
		}
		switch key {
		case tracefmt.FieldPID:
			h.PID = int(min(u, 1<<31))
		case tracefmt.FieldPPID:
			h.PPID = int(min(u, 1<<31))
		case tracefmt.FieldCmdline:
			h.Cmdline = ss
		case tracefmt.FieldStart:
			h.Start = time.Unix(0, int64(min(u, 1<<62)))
		case tracefmt.FieldGoVersion:
			h.GoVersion = s
		case tracefmt.FieldHost:
			h.Host = s
		case tracefmt.FieldGOMAXPROC:
			h.GOMAXPROCS = int(min(u, 1<<20))
		case tracefmt.FieldHang:
			h.HangThreshold = time.Duration(max(tracefmt.Unzigzag(u), 0))
		case tracefmt.FieldRace:
			h.Race = u != 0
		}
	}
	nk, err := d.count(3, "event kinds")
	if err != nil {
		return err
	}
	h.Kinds = map[Kind]string{}
	for range nk {
		if len(d.b) == 0 {
			return d.r.fail(d.off, "header cut short")
		}
		k := d.b[0]
		d.b, d.off = d.b[1:], d.off+1
		name, err := d.str()
		if err != nil {
			return err
		}
		na, err := d.count(2, "arguments")
		if err != nil {
			return err
		}
		if k == 0 || specs[k].known {
			return d.r.fail(d.off, "event kind %d declared twice or invalid", k)
		}
		types := make([]byte, na)
		for i := range types {
			if _, err := d.str(); err != nil {
				return err
			}
			if len(d.b) == 0 {
				return d.r.fail(d.off, "header cut short")
			}
			types[i] = d.b[0]
			d.b, d.off = d.b[1:], d.off+1
		}
		specs[k] = fileSpec{known: true, types: types}
		h.Kinds[Kind(k)] = name
	}
	if len(d.b) != 0 {
		return d.r.fail(d.off, "%d stray bytes at the end of the header", len(d.b))
	}
	return nil
}
