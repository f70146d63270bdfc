// Package tracefmt holds the binary format of condiag traces: the event
// kinds and their arguments, and the encoding of the file header and
// chunks. The recorder (internal/monitor) writes it; package trace reads
// it and documents it for users.
//
// A file is the magic string, the format version and a length-prefixed
// header, then chunks:
//
//	file   = magic uvarint(version) uvarint(len) header chunk*
//	header = uvarint(nfields) (string(key) value)*     (see Field*)
//	         uvarint(nkinds) (byte(kind) string(name) uvarint(nargs) (string(name) byte(type))*)*
//	chunk  = 0xC7 uvarint(len) crc32c(body, 4 bytes LE) body
//	body   = uvarint(flags) uvarint(time) uvarint(lost)
//	         uvarint(nstrings) string*
//	         uvarint(nstacks) (uvarint(nframes) (uvarint(func) uvarint(file) uvarint(line))*)*
//	         (uvarint(goroutine) uvarint(stream) uvarint(offset) uvarint(base) uvarint(len) event*)*
//	                                                                to the end of the body
//	event  = byte(kind) uvarint(dt) arg*
//	string = uvarint(len) bytes
//
// Strings and stacks are numbered from 1 in the order they are defined,
// across chunks; 0 means none. A stream is the sequence of one
// goroutine's events as its buffer received them, and a batch's offset
// is where its first byte is in the stream: a reader that also reads the
// live file (see live.go) uses them to skip what the chunks already hold.
// A chunk defines every string and stack
// its events use, unless an earlier chunk did. Times are nanoseconds
// since the trace started: a chunk's time is when it was cut, a batch's
// base is the time of the goroutine's event before its first one, and an
// event's dt is the time since the goroutine's previous event. Every
// argument is a uvarint (signed ones zigzag-encoded); the header says
// how many each kind has, so a reader skips kinds it does not know.
package tracefmt

import (
	"encoding/binary"
	"hash/crc32"
)

// Magic starts every trace file.
const Magic = "condiag-trace\x00"

// Version is the format version this package writes.
const Version = 1

// ChunkTag starts every chunk.
const ChunkTag = 0xC7

// MaxChunk bounds a chunk's body. The recorder cuts chunks far smaller;
// a reader rejects a larger length as corrupt rather than allocating it.
const MaxChunk = 64 << 20

// Chunk flags.
const (
	FlagEnd     = 1 << iota // the trace was stopped: the last chunk
	FlagSignal              // cut on a terminating signal
	FlagExit                // cut because the program is exiting
	FlagFinding             // cut because a finding was reported
	FlagPartial             // holds one goroutine's full buffer only: its time bounds nothing
)

// Header field keys.
const (
	FieldPID       = "pid"        // uint
	FieldPPID      = "ppid"       // uint
	FieldCmdline   = "cmdline"    // strings
	FieldStart     = "start"      // uint: wall clock, ns since the Unix epoch
	FieldClock     = "clock"      // string: "monotonic ns"
	FieldGoVersion = "go"         // string
	FieldHang      = "hang"       // int: DL1005 threshold in ns, 0 when off
	FieldHost      = "host"       // string
	FieldGOMAXPROC = "gomaxprocs" // uint
	FieldRace      = "race"       // uint: 1 if the race checks ran when recording started
)

// Header value types.
const (
	ValUint    = 1
	ValInt     = 2
	ValString  = 3
	ValStrings = 4
)

// Arg types.
const (
	ArgUint   = 'u' // unsigned
	ArgInt    = 'i' // signed, zigzag
	ArgString = 's' // string reference
	ArgStack  = 'k' // stack reference
	ArgObj    = 'o' // object (lock, wait group, cond) id
	ArgG      = 'g' // goroutine id
)

// Kind is an event kind.
type Kind uint8

// Event kinds. Numbers are permanent: a retired kind leaves a gap.
const (
	EvNone       Kind = iota
	EvGoroutine       // first event of a goroutine: creator, creation site
	EvObject          // first event of an object: id, kind, first-use site
	EvClass           // SetClass
	EvSubclass        // SetSubclass
	EvName            // SetName
	EvLock            // Lock requested (blocking)
	EvRLock           // RLock requested (blocking)
	EvTryLock         // TryLock succeeded
	EvTryRLock        // TryRLock succeeded
	EvTryFail         // TryLock failed
	EvTryRFail        // TryRLock failed
	EvBlock           // the pending request blocks
	EvUnblock         // the pending request was granted after blocking
	EvUnlock          // Unlock
	EvRUnlock         // RUnlock
	EvWGAdd           // WaitGroup.Add (Done is Add(-1))
	EvWGWait          // WaitGroup.Wait blocks
	EvWGWaited        // WaitGroup.Wait returned
	EvCondWait        // Cond.Wait starts
	EvCondWoken       // Cond.Wait woke (before relocking)
	EvCondSignal      // Cond.Signal
	EvCondBcast       // Cond.Broadcast
	EvMisuse          // a misuse found by the primitive
	EvHang            // the DL1005 threshold changed
	EvOp              // an operation on a semaphore, barrier, event, queue or pool (see Op*); a stack for TaskSubmit
	EvOpBlock         // the goroutine blocks in an operation on such an object
	EvOpUnblock       // ... and stopped waiting
	EvAccess          // a read or write of a declared location (race.Var)
	EvSync            // a hand-off for the race checks: a release into, or an acquisition from, an object
	EvUnguarded       // a race.Guarded value accessed without its lock held (RC2003)
	EvHeld            // a lock the goroutine held when its events of the recording began
	NumKinds
)

// Arg describes one argument of a kind.
type Arg struct {
	Name string
	Type byte
}

// Spec describes one event kind.
type Spec struct {
	Name string
	Args []Arg
}

var (
	obj   = Arg{"obj", ArgObj}
	stack = Arg{"stack", ArgStack}
)

// Specs describes the kinds this version writes, by kind.
var Specs = [NumKinds]Spec{
	EvGoroutine:  {"Goroutine", []Arg{{"creator", ArgG}, {"site", ArgStack}, {"reuses", ArgG}}},
	EvObject:     {"Object", []Arg{obj, {"kind", ArgUint}, {"site", ArgStack}}},
	EvClass:      {"Class", []Arg{obj, {"class", ArgString}}},
	EvSubclass:   {"Subclass", []Arg{obj, {"subclass", ArgInt}}},
	EvName:       {"Name", []Arg{obj, {"name", ArgString}}},
	EvLock:       {"Lock", []Arg{obj, stack}},
	EvRLock:      {"RLock", []Arg{obj, stack}},
	EvTryLock:    {"TryLock", []Arg{obj, stack}},
	EvTryRLock:   {"TryRLock", []Arg{obj, stack}},
	EvTryFail:    {"TryLockFail", []Arg{obj}},
	EvTryRFail:   {"TryRLockFail", []Arg{obj}},
	EvBlock:      {"Block", []Arg{obj}},
	EvUnblock:    {"Unblock", []Arg{obj, {"overtaken", ArgUint}}},
	EvUnlock:     {"Unlock", []Arg{obj}},
	EvRUnlock:    {"RUnlock", []Arg{obj}},
	EvWGAdd:      {"WaitGroupAdd", []Arg{obj, {"delta", ArgInt}}},
	EvWGWait:     {"WaitGroupWait", []Arg{obj, stack}},
	EvWGWaited:   {"WaitGroupWaited", []Arg{obj}},
	EvCondWait:   {"CondWait", []Arg{obj, {"lock", ArgObj}, stack}},
	EvCondWoken:  {"CondWoken", []Arg{obj}},
	EvCondSignal: {"CondSignal", []Arg{obj}},
	EvCondBcast:  {"CondBroadcast", []Arg{obj}},
	EvMisuse:     {"Misuse", []Arg{obj, {"kind", ArgUint}, {"op", ArgString}, stack}},
	EvHang:       {"HangThreshold", []Arg{{"ns", ArgInt}}},
	EvOp:         {"Op", []Arg{obj, {"op", ArgUint}, {"n", ArgInt}, stack}},
	EvOpBlock:    {"OpBlock", []Arg{obj, {"op", ArgUint}, {"n", ArgInt}, stack}},
	EvOpUnblock:  {"OpUnblock", []Arg{obj, {"op", ArgUint}}},
	EvAccess:     {"Access", []Arg{obj, {"write", ArgUint}, stack}},
	EvSync:       {"Sync", []Arg{obj, {"op", ArgUint}}},
	EvUnguarded:  {"Unguarded", []Arg{obj, {"write", ArgUint}, {"type", ArgString}, {"holder", ArgG}, stack}},
	EvHeld:       {"Held", []Arg{obj, {"write", ArgUint}, stack}},
}

// The operations of an EvSync event.
const (
	SyncRelease = 1 // what the goroutine did so far is handed over through the object
	SyncAcquire = 2 // the goroutine receives what was handed over through it
)

// Op is the operation of an EvOp or EvOpBlock event. Numbers are
// permanent. For EvOpBlock it is what the goroutine waits to do.
type Op uint8

// Operations, with what n is.
const (
	OpNone         Op = iota
	OpSemAcquire      // n permits acquired (blocks: n permits requested)
	OpSemRelease      // n permits released
	OpQueuePut        // one item put, n items now (blocks: the queue is full, n its capacity)
	OpQueueGet        // one item taken, n items left (blocks: the queue is empty)
	OpQueueClose      // the queue was closed, n items left
	OpBarrierWait     // the goroutine arrived at the barrier, n its generation (blocks: waits for the other parties)
	OpBarrierBreak    // the barrier broke in generation n
	OpEventSet        // the event was set (blocks: Wait for Set)
	OpEventClear      // the event was cleared
	OpTaskSubmit      // task n was submitted to the pool
	OpTaskStart       // task n started on this goroutine, a worker of the pool
	OpTaskDone        // task n returned (blocks: waits for task n's result)
	OpTaskObserved    // task n's result was asked for (Wait, Result, Done, Cancel)
	OpPoolShutdown    // the pool shuts down (blocks: waits for its tasks)
	OpSize            // the object's size: a semaphore's permits, a queue's capacity, a barrier's parties, a pool's workers
	NumOps
)

// OpNames names the operations.
var OpNames = [NumOps]string{"none", "SemAcquire", "SemRelease", "QueuePut", "QueueGet", "QueueClose",
	"BarrierWait", "BarrierBreak", "EventSet", "EventClear", "TaskSubmit", "TaskStart", "TaskDone",
	"TaskObserved", "PoolShutdown", "Size"}

// Object kinds, the kind argument of EvObject and EvMisuse.
const (
	ObjInvalid = iota
	ObjMutex
	ObjRWMutex
	ObjOnce
	ObjWaitGroup
	ObjCond
	ObjSemaphore
	ObjBarrier
	ObjEvent
	ObjQueue
	ObjPool
	ObjVar  // a declared shared location (race.Var)
	ObjEdge // a happens-before annotation (race.Edge)
	NumObjKinds
)

// ObjKindNames names the object kinds.
var ObjKindNames = [NumObjKinds]string{"invalid", "Mutex", "RWMutex", "Once", "WaitGroup", "Cond",
	"Semaphore", "Barrier", "Event", "Queue", "Pool", "Var", "Edge"}

// MaxEvent bounds the encoded size of one event of this version.
const MaxEvent = 1 + 5*binary.MaxVarintLen64

var crcTable = crc32.MakeTable(crc32.Castagnoli)

// Checksum is the checksum of a chunk body.
func Checksum(body []byte) uint32 { return crc32.Checksum(body, crcTable) }

// AppendString appends s with its length.
func AppendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// Zigzag encodes a signed value as unsigned.
func Zigzag(v int64) uint64 { return uint64(v<<1) ^ uint64(v>>63) }

// Unzigzag decodes a zigzag-encoded value.
func Unzigzag(u uint64) int64 { return int64(u>>1) ^ -int64(u&1) }

// AppendSpecs appends the event kind table of the header.
func AppendSpecs(b []byte) []byte {
	n := 0
	for k := range Specs {
		if Specs[k].Name != "" {
			n++
		}
	}
	b = binary.AppendUvarint(b, uint64(n))
	for k, s := range Specs {
		if s.Name == "" {
			continue
		}
		b = append(b, byte(k))
		b = AppendString(b, s.Name)
		b = binary.AppendUvarint(b, uint64(len(s.Args)))
		for _, a := range s.Args {
			b = AppendString(b, a.Name)
			b = append(b, a.Type)
		}
	}
	return b
}

// AppendChunkHeader appends the framing of a chunk whose body is the
// concatenation of parts.
func AppendChunkHeader(b []byte, parts ...[]byte) []byte {
	n, sum := 0, uint32(0)
	for _, p := range parts {
		n += len(p)
		sum = crc32.Update(sum, crcTable, p)
	}
	b = append(b, ChunkTag)
	b = binary.AppendUvarint(b, uint64(n))
	return binary.LittleEndian.AppendUint32(b, sum)
}

// AppendChunk frames body as a chunk.
func AppendChunk(b, body []byte) []byte {
	b = append(b, ChunkTag)
	b = binary.AppendUvarint(b, uint64(len(body)))
	b = binary.LittleEndian.AppendUint32(b, Checksum(body))
	return append(b, body...)
}

// EventLen returns the length of the event at the start of b and its dt,
// or ok false if b does not start with a complete event of a known kind.
func EventLen(b []byte) (n int, dt uint64, ok bool) {
	if len(b) == 0 {
		return 0, 0, false
	}
	k := Kind(b[0])
	if k == EvNone || k >= NumKinds {
		return 0, 0, false
	}
	n = 1
	dt, m := binary.Uvarint(b[n:])
	if m <= 0 {
		return 0, 0, false
	}
	n += m
	for range Specs[k].Args {
		_, m := binary.Uvarint(b[n:])
		if m <= 0 {
			return 0, 0, false
		}
		n += m
	}
	return n, dt, true
}

// Frame is one frame of a stack definition, with string references.
type Frame struct {
	Func, File uint64
	Line       uint64
}

// Batch is a run of one goroutine's events.
type Batch struct {
	G      uint64
	Stream uint64 // the goroutine's stream
	Offset uint64 // where Events starts in the stream
	Base   uint64 // time of the goroutine's event before the first one
	Events []byte
}

// Body is the content of one chunk.
type Body struct {
	Flags   uint64
	Time    uint64
	Lost    uint64
	Strings []string
	Stacks  [][]Frame
	Batches []Batch
}

// AppendBody encodes body.
func AppendBody(b []byte, body *Body) []byte {
	b = AppendDefs(b, body)
	for _, bt := range body.Batches {
		b = AppendBatch(b, bt.G, bt.Stream, bt.Offset, bt.Base, bt.Events)
	}
	return b
}

// AppendBatch encodes one batch.
func AppendBatch(b []byte, g, stream, offset, base uint64, events []byte) []byte {
	b = AppendBatchHeader(b, g, stream, offset, base, len(events))
	return append(b, events...)
}

// AppendBatchHeader encodes the header of a batch of n bytes of events.
func AppendBatchHeader(b []byte, g, stream, offset, base uint64, n int) []byte {
	b = binary.AppendUvarint(b, g)
	b = binary.AppendUvarint(b, stream)
	b = binary.AppendUvarint(b, offset)
	b = binary.AppendUvarint(b, base)
	return binary.AppendUvarint(b, uint64(n))
}

// AppendDefs encodes the part of body before its batches.
func AppendDefs(b []byte, body *Body) []byte {
	b = binary.AppendUvarint(b, body.Flags)
	b = binary.AppendUvarint(b, body.Time)
	b = binary.AppendUvarint(b, body.Lost)
	b = binary.AppendUvarint(b, uint64(len(body.Strings)))
	for _, s := range body.Strings {
		b = AppendString(b, s)
	}
	b = binary.AppendUvarint(b, uint64(len(body.Stacks)))
	for _, st := range body.Stacks {
		b = binary.AppendUvarint(b, uint64(len(st)))
		for _, f := range st {
			b = binary.AppendUvarint(b, f.Func)
			b = binary.AppendUvarint(b, f.File)
			b = binary.AppendUvarint(b, f.Line)
		}
	}
	return b
}

// HeaderField is one field of the file header.
type HeaderField struct {
	Key  string
	Type byte
	U    uint64
	I    int64
	S    string
	SS   []string
}

// AppendHeader encodes the magic, the version and the header.
func AppendHeader(b []byte, fields []HeaderField) []byte {
	var h []byte
	h = binary.AppendUvarint(h, uint64(len(fields)))
	for _, f := range fields {
		h = AppendString(h, f.Key)
		h = append(h, f.Type)
		switch f.Type {
		case ValUint:
			h = binary.AppendUvarint(h, f.U)
		case ValInt:
			h = binary.AppendUvarint(h, Zigzag(f.I))
		case ValString:
			h = AppendString(h, f.S)
		case ValStrings:
			h = binary.AppendUvarint(h, uint64(len(f.SS)))
			for _, s := range f.SS {
				h = AppendString(h, s)
			}
		}
	}
	h = AppendSpecs(h)
	b = append(b, Magic...)
	b = binary.AppendUvarint(b, Version)
	b = binary.AppendUvarint(b, uint64(len(h)))
	return append(b, h...)
}

// The live file. A recording to a file path keeps each goroutine's
// buffer in a slot of a file mapped into memory, PATH.live, so that the
// events a goroutine published are in the file the moment it publishes
// them, even when the process exits without stopping the trace or is
// killed. A clean stop removes the file. All numbers are little-endian.
//
//	file   = header (LivePage bytes) slot*
//	header = magic (16 bytes) pid (8) start (8, the trace header's) nslots (4) slotsize (4)
//	slot   = stream (8, 0 when free) goroutine (8) streambase (8) timebase (8) pub (4)
//	         reserved (28) data (slotsize-64 bytes)
//
// data[:pub] are the events of the stream from offset streambase on; the
// event before data[0] happened at timebase.
const (
	LiveMagic      = "condiag-live\x00\x00\x00\x00"
	LivePage       = 4096
	LiveSlotHeader = 64
)
