package report_test

import (
	"fmt"
	"os"

	"github.com/condiag/condiag/report"
)

func ExampleWriteText() {
	f := report.New("DL1003")
	f.Confidence = report.Observed
	f.Message = "goroutine 1 locks cache.mu, which it already holds"
	f.Location = report.Frame{Func: "main.(*Cache).Get", File: "cache.go", Line: 12}
	f.Locks = []report.Lock{{
		ID: 1, Kind: "Mutex", Class: "cache", Name: "cache.mu", Held: "write", Holder: 1,
		FirstLocked: report.Frame{Func: "main.(*Cache).GetOrSet", File: "cache.go", Line: 18},
	}}
	f.Goroutines = []report.Goroutine{{
		ID: 1, State: "sync.Mutex.Lock", Holds: []uint64{1}, WaitsFor: 1, WaitMode: "write",
		Stack: []report.Frame{
			{Func: "main.(*Cache).Get", File: "cache.go", Line: 12},
			{Func: "main.(*Cache).GetOrSet", File: "cache.go", Line: 20},
		},
	}}
	if err := report.WriteText(os.Stdout, []report.Finding{f}); err != nil {
		fmt.Println(err)
	}
	// Output:
	// cache.go:12: goroutine 1 locks cache.mu, which it already holds (DL1003)
	//     self-deadlock: a goroutine locks a lock it already holds (severity: error, confidence: observed)
	//     locks:
	//         cache.mu (Mutex#1), class "cache", first locked at cache.go:18 in main.(*Cache).GetOrSet, held (write) by goroutine 1
	//     goroutine 1 [sync.Mutex.Lock]: holds cache.mu; waits for cache.mu (write)
	//         main.(*Cache).Get
	//             cache.go:12
	//         main.(*Cache).GetOrSet
	//             cache.go:20
	//     help: run "condiag explain DL1003"
}

func ExampleWriteJSON() {
	f := report.New("DL1006")
	f.Confidence = report.Observed
	f.Message = "unlock of unlocked Mutex#3"
	f.Location = report.Frame{File: "store.go", Line: 9}
	if err := report.WriteJSON(os.Stdout, []report.Finding{f}); err != nil {
		fmt.Println(err)
	}
	// Output:
	// {
	//   "findings": [
	//     {
	//       "code": "DL1006",
	//       "severity": "error",
	//       "confidence": "observed",
	//       "title": "misuse of a lock or WaitGroup",
	//       "location": {
	//         "file": "store.go",
	//         "line": 9,
	//         "col": 0
	//       },
	//       "end": {
	//         "file": "store.go",
	//         "line": 9,
	//         "col": 0
	//       },
	//       "message": "unlock of unlocked Mutex#3",
	//       "related": [],
	//       "locks": [],
	//       "edges": [],
	//       "goroutines": [],
	//       "scenario": "",
	//       "notes": []
	//     }
	//   ]
	// }
}

func ExampleLookup() {
	d, ok := report.Lookup("DL1004")
	fmt.Println(ok, d.ID, d.Severity, d.Since)
	fmt.Println(d.Title)
	// Output:
	// true DL1004 warning v0.1.0
	// recursive read lock
}

func ExampleAll() {
	for _, d := range report.All()[:3] {
		fmt.Printf("%s  %s\n", d.ID, d.Title)
	}
	// Output:
	// CT5001  hot lock
	// DL1001  potential deadlock: lock-order cycle
	// DL1002  deadlock: goroutines blocked on each other in a cycle
}

func ExampleNew() {
	f := report.New("LK3002")
	f.Message = "Mutex#4 still held by goroutine 9"
	f.Location = report.Frame{File: "store.go", Line: 14}
	fmt.Println(f.Title, "/", f.Severity)
	fmt.Println(f.Error())
	// Output:
	// lock still held at the end / error
	// store.go:14: Mutex#4 still held by goroutine 9 (LK3002)
}
