package monitor

import (
	"encoding/binary"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"

	"github.com/condiag/condiag/internal/tracefmt"
)

// live is the memory-mapped live file of a recording to a file path
// (see tracefmt): goroutines keep their trace buffers in its slots, so
// that what they publish survives an exit without trace.Stop and a kill.
// The mapping is never unmapped: a goroutine that loaded the recorder
// before it stopped may still write to its slot. A slot is 64 KiB; the
// file is sparse, so a slot costs disk and memory only once used.
type live struct {
	path   string
	f      *os.File
	mem    []byte
	nslots int
	mu     sync.Mutex
	free   []int // free slots, by index from 1
}

const (
	liveSlots    = 256
	liveSlotSize = 64 << 10
)

// newLive creates the live file of a trace written to path.
func newLive(path string, start time.Time) (*live, error) {
	lp := path + ".live"
	f, err := os.OpenFile(lp, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return nil, err
	}
	size := tracefmt.LivePage + liveSlots*liveSlotSize
	if err := f.Truncate(int64(size)); err != nil {
		f.Close()
		os.Remove(lp)
		return nil, err
	}
	mem, err := syscall.Mmap(int(f.Fd()), 0, size, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_SHARED)
	if err != nil {
		f.Close()
		os.Remove(lp)
		return nil, fmt.Errorf("mmap %s: %w", lp, err)
	}
	copy(mem, tracefmt.LiveMagic)
	binary.LittleEndian.PutUint64(mem[16:], uint64(os.Getpid()))
	binary.LittleEndian.PutUint64(mem[24:], uint64(start.UnixNano()))
	binary.LittleEndian.PutUint32(mem[32:], liveSlots)
	binary.LittleEndian.PutUint32(mem[36:], liveSlotSize)
	l := &live{path: lp, f: f, mem: mem, nslots: liveSlots}
	for i := liveSlots; i >= 1; i-- {
		l.free = append(l.free, i)
	}
	return l, nil
}

// slot returns slot i, from 1.
func (l *live) slot(i int) []byte {
	off := tracefmt.LivePage + (i-1)*liveSlotSize
	return l.mem[off : off+liveSlotSize : off+liveSlotSize]
}

// take returns a free slot, set up for a new stream of goroutine goid,
// or 0 if there is none.
func (l *live) take(stream, goid uint64) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := len(l.free)
	if n == 0 {
		return 0
	}
	i := l.free[n-1]
	l.free = l.free[:n-1]
	s := l.slot(i)
	slotPub(s).Store(0)
	binary.LittleEndian.PutUint64(s[8:], goid)
	binary.LittleEndian.PutUint64(s[16:], 0)
	binary.LittleEndian.PutUint64(s[24:], 0)
	binary.LittleEndian.PutUint64(s[0:], stream)
	return i
}

// release frees slot i.
func (l *live) release(i int) {
	s := l.slot(i)
	binary.LittleEndian.PutUint64(s[0:], 0)
	slotPub(s).Store(0)
	l.mu.Lock()
	l.free = append(l.free, i)
	l.mu.Unlock()
}

// rebase records that the slot's data now starts at stream offset base,
// after the event at time t. The caller set pub to 0 first.
func rebase(s []byte, base, t uint64) {
	binary.LittleEndian.PutUint64(s[16:], base)
	binary.LittleEndian.PutUint64(s[24:], t)
}

// slotPub is the published length of a slot's data.
func slotPub(s []byte) *atomic.Uint32 {
	return (*atomic.Uint32)(unsafe.Pointer(&s[32]))
}

// close marks every slot free and removes the file, after a clean stop
// wrote everything to the trace.
func (l *live) close() {
	for i := 1; i <= l.nslots; i++ {
		s := l.slot(i)
		binary.LittleEndian.PutUint64(s[0:], 0)
	}
	l.f.Close()
	os.Remove(l.path)
}
