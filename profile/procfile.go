package profile

import (
	"encoding/binary"
	"os"
	"strconv"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// reader reads small /proc files and directories into buffers it reuses, so
// that a steady-state sample does not allocate. It builds NUL-terminated
// paths itself and calls openat directly, because syscall.Open and os.Open
// allocate a copy of the path (and os.Open a *File) on every call.
//
// A reader is not safe for concurrent use.
type reader struct {
	root string // mount point of procfs, without a trailing slash
	path []byte // the last path built, NUL-terminated
	buf  []byte // contents of the last file read
	dent []byte // getdents buffer
	ints []int  // numeric names of the last directory read
}

func newReader(root string) *reader {
	return &reader{
		root: root,
		path: make([]byte, 0, 128),
		buf:  make([]byte, 4096),
		dent: make([]byte, 8192),
	}
}

// procPath sets r.path to root/pid/file, or root/pid/task/tid/file when
// tid > 0. An empty file names the directory itself.
func (r *reader) procPath(pid, tid int, file string) {
	p := append(r.path[:0], r.root...)
	if pid > 0 {
		p = append(p, '/')
		p = strconv.AppendInt(p, int64(pid), 10)
	}
	if tid > 0 {
		p = append(p, "/task/"...)
		p = strconv.AppendInt(p, int64(tid), 10)
	}
	if file != "" {
		p = append(p, '/')
		p = append(p, file...)
	}
	r.path = append(p, 0)
}

// open opens r.path with flags. Its error is an *os.PathError wrapping the
// syscall.Errno, so callers can test it with errors.Is.
func (r *reader) open(op string, flags int) (int, error) {
	atFDCWD := unix.AT_FDCWD
	for {
		fd, _, errno := syscall.Syscall6(syscall.SYS_OPENAT, uintptr(atFDCWD),
			uintptr(unsafe.Pointer(&r.path[0])), uintptr(flags|syscall.O_CLOEXEC), 0, 0, 0)
		switch errno {
		case 0:
			return int(fd), nil
		case syscall.EINTR:
			continue
		}
		return -1, r.pathError(op, errno)
	}
}

func (r *reader) pathError(op string, err error) error {
	return &os.PathError{Op: op, Path: string(r.path[:len(r.path)-1]), Err: err}
}

// read reads the whole file named by r.path into r.buf and returns it. The
// result is valid until the next call.
func (r *reader) read() ([]byte, error) {
	fd, err := r.open("open", syscall.O_RDONLY)
	if err != nil {
		return nil, err
	}
	defer syscall.Close(fd)
	n := 0
	for {
		if n == len(r.buf) {
			r.buf = append(r.buf, make([]byte, len(r.buf))...)
		}
		m, err := syscall.Read(fd, r.buf[n:])
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return nil, r.pathError("read", err)
		}
		if m == 0 {
			return r.buf[:n], nil
		}
		n += m
	}
}

// readFile is read for root/pid/file or root/pid/task/tid/file.
func (r *reader) readFile(pid, tid int, file string) ([]byte, error) {
	r.procPath(pid, tid, file)
	return r.read()
}

// readDirInts lists the directory named by r.path and returns the entries
// whose names are decimal numbers (pids or tids), in directory order. The
// result is valid until the next call.
func (r *reader) readDirInts() ([]int, error) {
	fd, err := r.open("open", syscall.O_RDONLY|syscall.O_DIRECTORY)
	if err != nil {
		return nil, err
	}
	defer syscall.Close(fd)
	r.ints = r.ints[:0]
	for {
		n, err := syscall.Getdents(fd, r.dent)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return nil, r.pathError("getdents", err)
		}
		if n <= 0 {
			return r.ints, nil
		}
		r.ints = appendDirents(r.ints, r.dent[:n])
	}
}

// appendDirents parses linux_dirent64 records (u64 ino, s64 off, u16 reclen,
// u8 type, NUL-terminated name) and appends the numeric names to dst.
func appendDirents(dst []int, b []byte) []int {
	const nameOff = 19
	for len(b) >= nameOff {
		reclen := int(binary.NativeEndian.Uint16(b[16:18]))
		if reclen < nameOff || reclen > len(b) {
			break
		}
		if v, ok := parseDecimal(b[nameOff:reclen]); ok {
			dst = append(dst, v)
		}
		b = b[reclen:]
	}
	return dst
}

// parseDecimal parses the decimal number at the start of b, which ends at the
// first NUL or the end of b. It reports false if b holds anything else.
func parseDecimal(b []byte) (int, bool) {
	v, n := 0, 0
	for _, c := range b {
		if c == 0 {
			break
		}
		if c < '0' || c > '9' || v > (1<<31) {
			return 0, false
		}
		v = v*10 + int(c-'0')
		n++
	}
	return v, n > 0
}
