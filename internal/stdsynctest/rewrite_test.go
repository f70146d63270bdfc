package stdsynctest

import (
	"errors"
	"maps"
	"slices"
	"strings"
	"testing"
)

var testConfig = Config{
	SyncPath:    "example.com/x/sync",
	TestenvPath: "m/internal/testenv",
	Testenv:     map[string]bool{"Executable": true},
	Internal:    map[string]bool{"Runtime_Semacquire": true, "NewPoolChain": true},
}

func TestRewrite(t *testing.T) {
	tests := []struct {
		name      string
		give      map[string]string
		want      map[string]string
		wantDrops []string
	}{
		{
			name: "import of sync",
			give: map[string]string{"a_test.go": `package sync_test

import "sync"

var mu sync.Mutex
`},
			want: map[string]string{"a_test.go": `package sync_test

import "example.com/x/sync"

var mu sync.Mutex
`},
		},
		{
			name: "dot-import and transitive drops",
			give: map[string]string{"a_test.go": `package sync_test

import (
	"fmt"
	. "sync"
	"testing"
)

// hammer uses an internal name.
func hammer(s *uint32) {
	Runtime_Semacquire(s) // trailing
	fmt.Println(s)
}

func TestSemaphore(t *testing.T) { hammer(new(uint32)) }

func TestMutex(t *testing.T) {
	var mu Mutex
	mu.Lock()
}
`},
			want: map[string]string{"a_test.go": `package sync_test

import (
	. "example.com/x/sync"
	"testing"
)

func TestMutex(t *testing.T) {
	var mu Mutex
	mu.Lock()
}
`},
			wantDrops: []string{
				"a_test.go:10: func hammer: Runtime_Semacquire: exported only to sync's own tests, by export_test.go",
				"a_test.go:15: func TestSemaphore: hammer: left out itself, for Runtime_Semacquire",
			},
		},
		{
			name: "unused dot-import removed",
			give: map[string]string{"a_test.go": `package sync_test

import . "sync"

func f() { NewPoolChain() }
`},
			want: map[string]string{"a_test.go": `package sync_test
`},
			wantDrops: []string{"a_test.go:5: func f: NewPoolChain: exported only to sync's own tests, by export_test.go"},
		},
		{
			name: "qualified internal name, renamed import",
			give: map[string]string{"a_test.go": `package sync_test

import gosync "sync"

func f() { gosync.NewPoolChain() }

func g() { _ = gosync.NewCond }
`},
			want: map[string]string{"a_test.go": `package sync_test

import gosync "example.com/x/sync"

func g() { _ = gosync.NewCond }
`},
			wantDrops: []string{"a_test.go:5: func f: gosync.NewPoolChain: exported only to sync's own tests, by export_test.go"},
		},
		{
			name: "internal package, one spec of a group",
			give: map[string]string{"a_test.go": `package sync_test

import (
	isync "internal/sync"
	"sync"
)

type iface interface{ Load(any) (any, bool) }

var (
	_ iface = &sync.Map{}
	// the trie
	_ iface = &isync.HashTrieMap[any, any]{}
)
`},
			want: map[string]string{"a_test.go": `package sync_test

import (
	"example.com/x/sync"
)

type iface interface{ Load(any) (any, bool) }

var (
	_ iface = &sync.Map{}
)
`},
			wantDrops: []string{`a_test.go:13: var _: isync.HashTrieMap: "internal/sync" is internal to the standard library`},
		},
		{
			name: "testenv shim",
			give: map[string]string{"a_test.go": `package sync_test

import (
	"internal/testenv"
	"testing"
)

func TestA(t *testing.T) { _ = testenv.Executable(t) }

func TestB(t *testing.T) { testenv.MustHaveGoBuild(t) }
`},
			want: map[string]string{"a_test.go": `package sync_test

import (
	"m/internal/testenv"
	"testing"
)

func TestA(t *testing.T) { _ = testenv.Executable(t) }
`},
			wantDrops: []string{"a_test.go:10: func TestB: testenv.MustHaveGoBuild: not provided by the internal/testenv shim"},
		},
		{
			name: "linkname without a body",
			give: map[string]string{"a_test.go": `package sync_test

import (
	"math"
	_ "unsafe"
)

func wait() { blockUntilEmpty(math.MaxInt64) }

//go:linkname blockUntilEmpty
func blockUntilEmpty(int64) bool
`},
			want: map[string]string{"a_test.go": `package sync_test

import (
	_ "unsafe"
)
`},
			wantDrops: []string{
				"a_test.go:8: func wait: blockUntilEmpty: left out itself",
				"a_test.go:11: func blockUntilEmpty: blockUntilEmpty: declared without a body: the runtime links it by //go:linkname into the standard library's sync_test only",
			},
		},
		{
			name: "across files, types and methods",
			give: map[string]string{
				"a_test.go": `package sync_test

import (
	isync "internal/sync"
	. "sync"
)

type trie struct{ m *isync.HashTrieMap[int, int] }

func (t *trie) Load() {}

type holder struct{}

func (h holder) Sema() { NewPoolChain() }

const (
	a = iota
	b
)
`,
				"b_test.go": `package sync_test

import "testing"

func TestTrie(t *testing.T) { new(trie).Load() }

func TestHolder(t *testing.T) { _ = holder{} }

func TestConst(t *testing.T) { _ = b }
`,
			},
			want: map[string]string{
				"a_test.go": `package sync_test

const (
	a = iota
	b
)
`,
				"b_test.go": `package sync_test

import "testing"

func TestConst(t *testing.T) { _ = b }
`,
			},
			wantDrops: []string{
				`a_test.go:8: type trie: isync.HashTrieMap: "internal/sync" is internal to the standard library`,
				"a_test.go:10: method (*trie).Load: trie: left out itself, for isync.HashTrieMap",
				"a_test.go:12: type holder: method (holder).Sema: its method was left out, for NewPoolChain",
				"a_test.go:14: method (holder).Sema: NewPoolChain: exported only to sync's own tests, by export_test.go",
				"b_test.go:5: func TestTrie: trie: left out itself, for isync.HashTrieMap",
				"b_test.go:7: func TestHolder: holder: left out itself, for method (holder).Sema",
			},
		},
		{
			name: "a local of the same name is not a use",
			give: map[string]string{"a_test.go": `package sync_test

import . "sync"

func helper() { Runtime_Semacquire(nil) }

func keep() {
	helper := func() {}
	helper()
}
`},
			want: map[string]string{"a_test.go": `package sync_test

func keep() {
	helper := func() {}
	helper()
}
`},
			wantDrops: []string{"a_test.go:5: func helper: Runtime_Semacquire: exported only to sync's own tests, by export_test.go"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			give := make(map[string][]byte)
			for n, s := range tt.give {
				give[n] = []byte(s)
			}
			got, drops, err := Rewrite(give, testConfig)
			if err != nil {
				t.Fatal(err)
			}
			for _, n := range slices.Sorted(maps.Keys(tt.want)) {
				if string(got[n]) != tt.want[n] {
					t.Errorf("%s:\n%s\nwant\n%s", n, got[n], tt.want[n])
				}
			}
			if len(got) != len(tt.want) {
				t.Errorf("got %d files, want %d", len(got), len(tt.want))
			}
			var gotDrops []string
			for _, d := range drops {
				gotDrops = append(gotDrops, d.String())
			}
			if !slices.Equal(gotDrops, tt.wantDrops) {
				t.Errorf("drops:\n%s\nwant\n%s", strings.Join(gotDrops, "\n"), strings.Join(tt.wantDrops, "\n"))
			}
		})
	}
}

func TestRewriteErrors(t *testing.T) {
	tests := []struct {
		name    string
		give    string
		wantErr string
	}{
		{name: "internal package", give: "package sync\n", wantErr: "package sync, want sync_test"},
		{name: "syntax", give: "package sync_test\nfunc (\n", wantErr: "parsing a_test.go"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := Rewrite(map[string][]byte{"a_test.go": []byte(tt.give)}, testConfig)
			if !errors.Is(err, ErrSource) || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Rewrite() error = %v, want ErrSource containing %q", err, tt.wantErr)
			}
		})
	}
}
