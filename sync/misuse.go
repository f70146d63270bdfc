//go:build !condiagoff

package sync

import (
	"reflect"
	"sync"
	"sync/atomic"
	"unsafe"
)

// The misuse checks read the standard locks' state words, found by name
// with reflection at start-up and verified by locking a sample lock. If a
// Go release renames or reshapes them, the offsets are -1 and the checks
// stay silent rather than wrong.
var (
	mutexStateOff  = verifyMutexOffset(fieldOffset(reflect.TypeFor[sync.Mutex](), "mu", "state"))
	readerCountOff = verifyRWOffset(fieldOffset(reflect.TypeFor[sync.RWMutex](), "readerCount", "v"))
)

// rwmutexMaxReaders is the bias the standard RWMutex subtracts from its
// reader count while a writer is pending or holds the lock.
const rwmutexMaxReaders = 1 << 30

// fieldOffset returns the offset of the int32 reached by following path
// through nested struct fields of t, or -1.
func fieldOffset(t reflect.Type, path ...string) uintptr {
	var off uintptr
	for _, name := range path {
		if t.Kind() != reflect.Struct {
			return ^uintptr(0)
		}
		f, ok := t.FieldByName(name)
		if !ok {
			return ^uintptr(0)
		}
		off += f.Offset
		t = f.Type
	}
	if t.Kind() != reflect.Int32 {
		return ^uintptr(0)
	}
	return off
}

func load32(p unsafe.Pointer, off uintptr) int32 {
	return atomic.LoadInt32((*int32)(unsafe.Add(p, off)))
}

func verifyMutexOffset(off uintptr) uintptr {
	if off == ^uintptr(0) {
		return off
	}
	var m sync.Mutex
	before := load32(unsafe.Pointer(&m), off)
	m.Lock()
	locked := load32(unsafe.Pointer(&m), off)
	m.Unlock()
	if before != 0 || locked&1 == 0 || load32(unsafe.Pointer(&m), off) != 0 {
		return ^uintptr(0)
	}
	return off
}

func verifyRWOffset(off uintptr) uintptr {
	if off == ^uintptr(0) {
		return off
	}
	var rw sync.RWMutex
	rw.RLock()
	r := load32(unsafe.Pointer(&rw), off)
	rw.RUnlock()
	rw.Lock()
	w := load32(unsafe.Pointer(&rw), off)
	rw.Unlock()
	if r != 1 || w != -rwmutexMaxReaders || load32(unsafe.Pointer(&rw), off) != 0 {
		return ^uintptr(0)
	}
	return off
}

// mutexLocked reports whether m is locked; true when unknown.
func mutexLocked(m *sync.Mutex) bool {
	if mutexStateOff == ^uintptr(0) {
		return true
	}
	return load32(unsafe.Pointer(m), mutexStateOff)&1 != 0
}

// rwReadLocked reports whether rw has readers; true when unknown.
func rwReadLocked(rw *sync.RWMutex) bool {
	if readerCountOff == ^uintptr(0) {
		return true
	}
	c := load32(unsafe.Pointer(rw), readerCountOff)
	return c != 0 && c != -rwmutexMaxReaders
}

// rwWriteLocked reports whether a writer holds or is acquiring rw; true
// when unknown.
func rwWriteLocked(rw *sync.RWMutex) bool {
	if readerCountOff == ^uintptr(0) {
		return true
	}
	return load32(unsafe.Pointer(rw), readerCountOff) < 0
}
