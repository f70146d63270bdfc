package trace

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	"github.com/condiag/condiag/internal/tracefmt"
)

// A program that records to a file path keeps its goroutines' buffers
// in PATH.live, a file mapped into its memory, until it stops the trace
// (which removes the file): what it did after its last write to the
// trace is there after it exits without trace.Stop or is killed.
// OpenFile reads both.

// streamEnd is what the chunks read so far hold of a stream: its bytes
// up to off, the last of them in the batch of cursor c, or, once c is
// done, ending with an event at time t.
type streamEnd struct {
	off uint64
	c   *cursor
	t   uint64
}

func (r *Reader) noteStream(stream, end uint64, c *cursor) {
	if r.streams == nil {
		r.streams = map[uint64]*streamEnd{}
	}
	e := r.streams[stream]
	if e == nil {
		e = &streamEnd{}
		r.streams[stream] = e
	}
	if end >= e.off {
		e.off, e.c, e.t = end, c, c.t
	}
}

// liveSlot is one used slot of a live file.
type liveSlot struct {
	stream, g, base, tbase uint64
	data                   []byte
}

type liveFile struct {
	name  string
	slots []liveSlot
}

// OpenFile opens the trace in the file name and, if the program that
// wrote it did not stop it, its live file, name.live, whose events come
// after those of the trace. Close the reader when done.
func OpenFile(name string) (*Reader, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	r, err := NewReader(f)
	if err != nil {
		f.Close()
		return nil, err
	}
	r.file = f
	if st, err := f.Stat(); err == nil {
		r.size = st.Size()
	}
	lv, err := readLive(name+".live", r.hdr)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		r.liveErr = err
	default:
		r.live = lv
	}
	return r, nil
}

// Close closes the file OpenFile opened.
func (r *Reader) Close() error {
	if r.file != nil {
		return r.file.Close()
	}
	return nil
}

// Size returns the size of the file OpenFile opened, 0 for a reader made
// by NewReader.
func (r *Reader) Size() int64 { return r.size }

// LiveBytes returns how many bytes of events were read from the live
// file, and the error that made the reader ignore it, if any. It is known
// once Next returned io.EOF.
func (r *Reader) LiveBytes() (int64, error) { return r.liveBytes, r.liveErr }

// readLive reads the used slots of a live file that belongs to the trace
// with header h.
func readLive(name string, h Header) (*liveFile, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%s: %s", name, fmt.Sprintf(format, args...))
	}
	var hdr [40]byte
	if _, err := io.ReadFull(f, hdr[:]); err != nil {
		return nil, bad("too short for a live file")
	}
	if string(hdr[:16]) != tracefmt.LiveMagic {
		return nil, bad("not a condiag live file")
	}
	pid := binary.LittleEndian.Uint64(hdr[16:])
	start := int64(binary.LittleEndian.Uint64(hdr[24:]))
	if pid != uint64(h.PID) || start != h.Start.UnixNano() {
		return nil, bad("belongs to another run (pid %d), not to this trace's (pid %d)", pid, h.PID)
	}
	nslots := int(binary.LittleEndian.Uint32(hdr[32:]))
	size := int(binary.LittleEndian.Uint32(hdr[36:]))
	if nslots > 1<<16 || size < tracefmt.LiveSlotHeader || size > 16<<20 {
		return nil, bad("absurd geometry: %d slots of %d bytes", nslots, size)
	}
	lf := &liveFile{name: name}
	sh := make([]byte, tracefmt.LiveSlotHeader)
	for i := range nslots {
		off := int64(tracefmt.LivePage) + int64(i)*int64(size)
		if _, err := f.ReadAt(sh, off); err != nil {
			return nil, bad("slot %d: %v", i+1, err)
		}
		s := liveSlot{
			stream: binary.LittleEndian.Uint64(sh[0:]),
			g:      binary.LittleEndian.Uint64(sh[8:]),
			base:   binary.LittleEndian.Uint64(sh[16:]),
			tbase:  binary.LittleEndian.Uint64(sh[24:]),
		}
		pub := int(binary.LittleEndian.Uint32(sh[32:]))
		if s.stream == 0 || pub == 0 {
			continue
		}
		if pub > size-tracefmt.LiveSlotHeader {
			return nil, bad("slot %d: %d bytes published in a slot of %d", i+1, pub, size)
		}
		s.data = make([]byte, pub)
		if _, err := f.ReadAt(s.data, off+tracefmt.LiveSlotHeader); err != nil {
			return nil, bad("slot %d: %v", i+1, err)
		}
		lf.slots = append(lf.slots, s)
	}
	return lf, nil
}

// readLive queues the events of the live file that the chunks do not
// hold: each stream goes on where the chunks left it.
func (r *Reader) readLive() error {
	lf := r.live
	r.live = nil
	for _, s := range lf.slots {
		e := r.streams[s.stream]
		data, t := s.data, s.tbase
		if e != nil && e.off > s.base {
			skip := e.off - s.base
			if skip >= uint64(len(data)) {
				continue
			}
			data = data[skip:]
			if c := e.c; c != nil && len(c.b) > 0 {
				// The stream's last batch is still being read: go on
				// from its end.
				c.b = append(c.b[:len(c.b):len(c.b)], data...)
				r.liveBytes += int64(len(data))
				continue
			}
			t = e.t
			if e.c != nil {
				t = e.c.t
			}
		}
		r.seq++
		c := &cursor{g: s.g, t: t, b: data, stream: s.stream, seq: r.seq, liveName: lf.name}
		if err := r.peek(c); err != nil {
			return err
		}
		r.liveBytes += int64(len(data))
		r.push(c)
	}
	return nil
}
