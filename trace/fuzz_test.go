package trace_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/condiag/condiag/trace"
)

// seeds returns real traces: those recorded from fixtures in testdata,
// and one written by the Writer.
func seeds(t testing.TB) [][]byte {
	files, _ := filepath.Glob("testdata/*.trace")
	var out [][]byte
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, data)
	}
	data, _ := writeSample(t)
	return append(out, data)
}

// checkReader reads data to the end: any error must be a FormatError
// within the file, and the reader must stop.
func checkReader(t *testing.T, data []byte) {
	r, err := trace.NewReader(bytes.NewReader(data))
	if err != nil {
		var fe *trace.FormatError
		if !errors.As(err, &fe) || fe.Offset < 0 || fe.Offset > int64(len(data)) {
			t.Fatalf("NewReader: %v", err)
		}
		return
	}
	for n := 0; ; n++ {
		if n > len(data) {
			t.Fatalf("%d events from %d bytes", n, len(data))
		}
		e, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			var fe *trace.FormatError
			if !errors.As(err, &fe) || fe.Offset < 0 || fe.Offset > int64(len(data)) {
				t.Fatalf("Next: %v", err)
			}
			return
		}
		r.Stack(e.Stack)
		_ = e.String()
	}
}

// FuzzReader feeds the reader whole files.
func FuzzReader(f *testing.F) {
	for _, s := range seeds(f) {
		f.Add(s)
	}
	f.Fuzz(checkReader)
}

// FuzzChunk feeds the reader chunk bodies with a valid header and a
// valid checksum, which random files rarely get past.
func FuzzChunk(f *testing.F) {
	sample, ends := writeSample(f)
	header := sample[:ends[0]-chunkLen(f, sample, ends)]
	for _, s := range seeds(f) {
		// The body of each seed's first chunk.
		h := 1
		for ; h < len(s); h++ {
			if _, err := trace.NewReader(bytes.NewReader(s[:h])); err == nil {
				break
			}
		}
		c := s[h:]
		if len(c) < 2 || c[0] != 0xC7 {
			continue
		}
		n, m := binary.Uvarint(c[1:])
		if m <= 0 || 1+m+4+int(n) > len(c) {
			continue
		}
		f.Add(c[1+m+4 : 1+m+4+int(n)])
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		checkReader(t, trace.AppendChunk(bytes.Clone(header), body))
	})
}
