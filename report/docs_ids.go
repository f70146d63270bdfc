package report

// This file documents every finding ID. The docs in docs/findings are
// generated from it (go generate ./report), and condiag explain prints it.
// Text is one paragraph, wrapped at about 72 columns; Bad and Fixed are
// gofmt-formatted Go programs (TestDocs checks both).

func init() {
	for _, d := range deadlockDocs {
		register(d)
	}
	for _, d := range leakDocs {
		register(d)
	}
	for _, d := range starvationDocs {
		register(d)
	}
	for _, d := range raceDocs {
		register(d)
	}
	for _, d := range contentionDocs {
		register(d)
	}
}

var deadlockDocs = []*Doc{
	{
		ID:       "DL1001",
		Title:    "potential deadlock: lock-order cycle",
		Severity: SeverityError,
		Since:    "v0.1.0",
		Text: `Locks were acquired in orders that form a cycle: somewhere B was locked
while holding A and elsewhere A while holding B, or a longer chain such
as A before B, B before C and C before A. Nothing hung this time, but
when those code paths run at the same time each goroutine can hold one
lock of the cycle and wait forever for the next. condiag records every
"acquired while holding" edge and finds cycles of any length, over lock
instances (observed: the very same locks were taken in conflicting
orders) and over named lock classes (predicted: different instances
playing the same roles, such as the locks of two stores, named with
sync.SetClass). A lock without a name has the site where it was first
locked as its class, which reports show but which is too coarse to
predict from, so only named classes are used for predictions. A cycle
whose every edge was taken while holding one common gate lock is not
reported, since the gate keeps those paths from running together. A
cycle whose edges were all taken by one goroutine is still reported, and
the finding says so: the code paths deadlock as soon as they run
concurrently.`,
		Bad: `package main

import "github.com/condiag/condiag/sync"

var accounts, ledger sync.Mutex

func transfer() {
	accounts.Lock()
	ledger.Lock() // accounts -> ledger
	ledger.Unlock()
	accounts.Unlock()
}

func audit() {
	ledger.Lock()
	accounts.Lock() // ledger -> accounts closes the cycle: DL1001
	accounts.Unlock()
	ledger.Unlock()
}

func main() {
	transfer()
	audit()
}
`,
		Fixed: `package main

import "github.com/condiag/condiag/sync"

// Lock order: accounts before ledger, everywhere.
var accounts, ledger sync.Mutex

func transfer() {
	accounts.Lock()
	ledger.Lock()
	ledger.Unlock()
	accounts.Unlock()
}

func audit() {
	accounts.Lock()
	ledger.Lock()
	ledger.Unlock()
	accounts.Unlock()
}

func main() {
	transfer()
	audit()
}
`,
	},
	{
		ID:       "DL1002",
		Title:    "deadlock: goroutines blocked on each other in a cycle",
		Severity: SeverityError,
		Since:    "v0.1.0",
		Text: `Goroutines are blocked right now in a cycle: each waits for a lock held
by the next, and the last waits for a lock held by the first. None of
them can ever proceed. The Go runtime only notices when every goroutine
of the program is asleep; condiag also finds a deadlock while the rest
of the program keeps running, such as a server whose handlers hang one
by one. Each time a goroutine is about to block on an instrumented lock,
condiag follows the chain of who waits for whom from that lock's holder;
when the chain comes back to the waiting goroutine, it reports every
goroutine of the cycle with the locks it holds, the lock it waits for
and its stack.`,
		Bad: `package main

import "github.com/condiag/condiag/sync"

func main() {
	var a, b sync.Mutex
	var wg sync.WaitGroup
	aHeld, bHeld := make(chan struct{}), make(chan struct{})
	wg.Add(2)
	go func() {
		defer wg.Done()
		a.Lock()
		close(aHeld)
		<-bHeld
		b.Lock() // waits for the second goroutine
		b.Unlock()
		a.Unlock()
	}()
	go func() {
		defer wg.Done()
		b.Lock()
		close(bHeld)
		<-aHeld
		a.Lock() // waits for the first goroutine: DL1002
		a.Unlock()
		b.Unlock()
	}()
	wg.Wait()
}
`,
		Fixed: `package main

import "github.com/condiag/condiag/sync"

func main() {
	var a, b sync.Mutex
	var wg sync.WaitGroup
	wg.Add(2)
	for range 2 {
		go func() {
			defer wg.Done()
			a.Lock() // both goroutines lock a before b
			b.Lock()
			b.Unlock()
			a.Unlock()
		}()
	}
	wg.Wait()
}
`,
	},
	{
		ID:       "DL1003",
		Title:    "self-deadlock: a goroutine locks a lock it already holds",
		Severity: SeverityError,
		Since:    "v0.1.0",
		Text: `A goroutine tried to acquire a lock it already holds: Lock on a Mutex it
has locked, Lock or RLock on an RWMutex it holds in write mode, Lock on
an RWMutex it holds in read mode, or Once.Do called again from inside
the function the same Once is running. Go's locks are not reentrant, so
the goroutine waits for itself forever. It usually happens when a method
that takes a lock calls another method that takes the same lock. condiag
knows which locks each goroutine holds and checks the new acquisition
against them, so the finding is reported before the goroutine blocks,
with the stack that tries again and the site where the lock was first
acquired. A goroutine may also be waiting for another to unlock a lock
it holds, since Go lets any goroutine unlock a Mutex (a Mutex used as a
semaphore): so before reporting, condiag yields and tries the lock
again for 20 ms, and once a lock has been unlocked by a goroutine
that did not lock it, or when the goroutine holds an RWMutex for reading
and asks for the write lock, the report waits until the goroutine is
seen blocked on two watchdog ticks, about 0.2 s. A semaphore-like Mutex
whose first cross-goroutine Unlock comes late can still be reported.`,
		Bad: `package main

import "github.com/condiag/condiag/sync"

type Cache struct {
	mu sync.Mutex
	m  map[string]string
}

func (c *Cache) Get(k string) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.m[k]
}

func (c *Cache) GetOrSet(k, v string) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if old := c.Get(k); old != "" { // Get locks c.mu again: DL1003
		return old
	}
	c.m[k] = v
	return v
}

func main() {
	c := &Cache{m: map[string]string{}}
	c.GetOrSet("k", "v")
}
`,
		Fixed: `package main

import "github.com/condiag/condiag/sync"

type Cache struct {
	mu sync.Mutex
	m  map[string]string
}

func (c *Cache) Get(k string) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.get(k)
}

// get requires c.mu to be held.
func (c *Cache) get(k string) string { return c.m[k] }

func (c *Cache) GetOrSet(k, v string) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if old := c.get(k); old != "" {
		return old
	}
	c.m[k] = v
	return v
}

func main() {
	c := &Cache{m: map[string]string{}}
	c.GetOrSet("k", "v")
}
`,
	},
	{
		ID:       "DL1004",
		Title:    "recursive read lock",
		Severity: SeverityWarning,
		Since:    "v0.1.0",
		Text: `A goroutine called RLock on an RWMutex it already holds in read mode.
This works most of the time, which is what makes it dangerous: Go's
RWMutex is writer-preferring, so once a writer calls Lock, new readers
wait until that writer is done. If a writer queues between the two
RLocks, the writer waits for the first read lock to be released, the
second RLock waits for the writer, and the goroutine never gets to
release the first: a deadlock that depends on timing and shows up under
load. The sync documentation forbids recursive read locking for this
reason. condiag tracks the read locks each goroutine holds and reports
the second RLock whether or not a writer happened to be waiting, with
the stacks of both acquisitions.`,
		Bad: `package main

import "github.com/condiag/condiag/sync"

type Registry struct {
	mu    sync.RWMutex
	names []string
}

func (r *Registry) Len() int {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return len(r.names)
}

func (r *Registry) Summary() (int, string) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	if r.Len() == 0 { // RLock while holding RLock: DL1004
		return 0, ""
	}
	return r.Len(), r.names[0]
}

func main() {
	r := &Registry{names: []string{"a"}}
	r.Summary()
}
`,
		Fixed: `package main

import "github.com/condiag/condiag/sync"

type Registry struct {
	mu    sync.RWMutex
	names []string
}

func (r *Registry) Len() int {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return len(r.names)
}

func (r *Registry) Summary() (int, string) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	n := len(r.names) // read directly: the read lock is already held
	if n == 0 {
		return 0, ""
	}
	return n, r.names[0]
}

func main() {
	r := &Registry{names: []string{"a"}}
	r.Summary()
}
`,
	},
	{
		ID:       "DL1005",
		Title:    "blocked too long",
		Severity: SeverityWarning,
		Since:    "v0.1.0",
		Text: `A goroutine has been waiting for an instrumented lock for longer than
the hang threshold: 30 seconds by default, set with
deadlock.SetHangThreshold or the CONDIAG_HANG environment variable. It
may be a deadlock condiag cannot see (the holder waits on a channel, a
network call or a lock that is not instrumented) or a lock held across
slow work. A watchdog checks the waiting goroutines periodically; the
report names the lock, the goroutine that holds it and the holder's
stack, which is usually where the answer is, along with the stack of the
waiting goroutine.`,
		Bad: `package main

import (
	"net/http"

	"github.com/condiag/condiag/sync"
)

type Server struct {
	mu  sync.Mutex
	cfg *http.Response
}

func (s *Server) Refresh() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	resp, err := http.Get("http://config.internal/") // slow, holds s.mu
	if err != nil {
		return err
	}
	s.cfg = resp
	return nil
}

func (s *Server) Handle() {
	s.mu.Lock() // waits as long as Refresh's request: DL1005
	defer s.mu.Unlock()
	_ = s.cfg
}

func main() {
	s := &Server{}
	go s.Refresh()
	s.Handle()
}
`,
		Fixed: `package main

import (
	"net/http"

	"github.com/condiag/condiag/sync"
)

type Server struct {
	mu  sync.Mutex
	cfg *http.Response
}

func (s *Server) Refresh() error {
	resp, err := http.Get("http://config.internal/") // no lock held
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.cfg = resp
	s.mu.Unlock()
	return nil
}

func (s *Server) Handle() {
	s.mu.Lock()
	defer s.mu.Unlock()
	_ = s.cfg
}

func main() {
	s := &Server{}
	go s.Refresh()
	s.Handle()
}
`,
	},
	{
		ID:       "DL1006",
		Title:    "misuse of a lock or WaitGroup",
		Severity: SeverityError,
		Since:    "v0.1.0",
		Text: `A primitive was used in a way the sync package forbids: Unlock of a
Mutex that is not locked, RUnlock of an RWMutex that is not read-locked,
Unlock of an RWMutex that is not write-locked, or a WaitGroup whose
counter went negative (more Done calls than Add). The standard library
answers with a fatal error or a panic that says what went wrong but not
which lock it was or how it got there. condiag checks each unlock and
Done against the state it tracks and prints the finding first, naming
the lock or WaitGroup and the stack of the offending call, then lets the
standard library's fatal error or panic happen exactly as it would
without condiag.`,
		Bad: `package main

import (
	"errors"

	"github.com/condiag/condiag/sync"
)

type Store struct {
	mu sync.Mutex
	m  map[string]string
}

func (s *Store) Put(k, v string) error {
	s.mu.Lock()
	defer s.mu.Unlock() // unlocks a second time on the error path: DL1006
	if k == "" {
		s.mu.Unlock()
		return errors.New("empty key")
	}
	s.m[k] = v
	return nil
}

func main() {
	s := &Store{m: map[string]string{}}
	s.Put("", "v")
}
`,
		Fixed: `package main

import (
	"errors"

	"github.com/condiag/condiag/sync"
)

type Store struct {
	mu sync.Mutex
	m  map[string]string
}

func (s *Store) Put(k, v string) error {
	s.mu.Lock()
	defer s.mu.Unlock() // the only unlock
	if k == "" {
		return errors.New("empty key")
	}
	s.m[k] = v
	return nil
}

func main() {
	s := &Store{m: map[string]string{}}
	s.Put("", "v")
}
`,
	},
}

var leakDocs = []*Doc{
	{
		ID:       "LK3001",
		Title:    "goroutine leak",
		Severity: SeverityError,
		Since:    "v0.1.0",
		Text: `A goroutine started during the test or program is still running when it
ends, typically blocked forever on a channel nobody will send to or
close, or on a lock nobody will release. Each leaked goroutine keeps its
stack and everything it references alive, and in a long-running program
leaks add up until memory or file descriptors run out. condiag reports
each goroutine that outlived the test (condiag.VerifyNone,
condiag.VerifyTestMain) or the check (condiag.Check), with what it is
blocked on, its stack and the go statement that created it.`,
		Bad: `package main

import "github.com/condiag/condiag/sync"

func process(jobs []func()) {
	ch := make(chan func())
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() { // blocks in range forever: LK3001
			defer wg.Done()
			for job := range ch {
				job()
			}
		}()
	}
	for _, job := range jobs {
		ch <- job
	}
}

func main() {
	process([]func(){func() {}})
}
`,
		Fixed: `package main

import "github.com/condiag/condiag/sync"

func process(jobs []func()) {
	ch := make(chan func())
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for job := range ch {
				job()
			}
		}()
	}
	for _, job := range jobs {
		ch <- job
	}
	close(ch) // ends the workers' range loops
	wg.Wait()
}

func main() {
	process([]func(){func() {}})
}
`,
	},
	{
		ID:       "LK3002",
		Title:    "lock still held at the end",
		Severity: SeverityError,
		Since:    "v0.1.0",
		Text: `A lock was still held when the test or program ended. Usually a return
path (an early error return, a panic that was recovered) skipped the
Unlock, and the next caller of Lock will wait forever. The finding names
the lock, the goroutine that holds it and where it was acquired, which
points at the function that forgot to release it.`,
		Bad: `package main

import (
	"errors"

	"github.com/condiag/condiag/sync"
)

type Store struct {
	mu sync.Mutex
	m  map[string]string
}

func (s *Store) Put(k, v string) error {
	s.mu.Lock()
	if k == "" {
		return errors.New("empty key") // returns with s.mu held: LK3002
	}
	s.m[k] = v
	s.mu.Unlock()
	return nil
}

func main() {
	s := &Store{m: map[string]string{}}
	s.Put("", "v")
}
`,
		Fixed: `package main

import (
	"errors"

	"github.com/condiag/condiag/sync"
)

type Store struct {
	mu sync.Mutex
	m  map[string]string
}

func (s *Store) Put(k, v string) error {
	s.mu.Lock()
	defer s.mu.Unlock() // released on every return path
	if k == "" {
		return errors.New("empty key")
	}
	s.m[k] = v
	return nil
}

func main() {
	s := &Store{m: map[string]string{}}
	s.Put("", "v")
}
`,
	},
	lk3003,
}

var lk3003 = &Doc{
	ID:       "LK3003",
	Title:    "work nobody took",
	Severity: SeverityWarning,
	Since:    "v0.2.0",
	Text: `Work was left behind when the test or program ended: a condiag queue
still held items that no goroutine took, or a condiag pool ran tasks whose
results nobody asked for (no Wait, Err, Done or Cancel on their
futures). An item nobody takes is work silently dropped, and a result
nobody looks at hides its error, or the panic of its task. The finding
names the queue or pool, how much was left and, for a pool, where each
forgotten task was submitted.`,
	Bad: `package main

import (
	"context"
	"fmt"

	"github.com/condiag/condiag/pool"
)

func main() {
	ctx := context.Background()
	p := pool.New(ctx, 4)
	for _, name := range []string{"a", "b"} {
		pool.Submit(p, func(ctx context.Context) (int, error) {
			return 0, fmt.Errorf("%s failed", name) // nobody sees it: LK3003
		})
	}
	p.Shutdown(ctx)
}
`,
	Fixed: `package main

import (
	"context"
	"fmt"
	"log"

	"github.com/condiag/condiag/pool"
)

func main() {
	ctx := context.Background()
	p := pool.New(ctx, 4)
	var fs []*pool.Future[int]
	for _, name := range []string{"a", "b"} {
		fs = append(fs, pool.Submit(p, func(ctx context.Context) (int, error) {
			return 0, fmt.Errorf("%s failed", name)
		}))
	}
	for _, f := range fs {
		if _, err := f.Wait(ctx); err != nil {
			log.Print(err)
		}
	}
	p.Shutdown(ctx)
}
`,
}

var starvationDocs = []*Doc{
	{
		ID:       "ST4001",
		Title:    "lock starvation",
		Severity: SeverityWarning,
		Since:    "v0.1.0",
		Text: `A goroutine waiting for a lock was overtaken many times: other
goroutines acquired the lock again and again while it kept waiting. This
happens when a goroutine releases a lock and takes it back at once in a
loop, or when critical sections are long and frequent. The program does
not hang, but the starved goroutine's work is delayed by an amount
nobody chose, which shows up as latency spikes and timeouts. The finding
names the lock, the starved goroutine, how often and for how long it was
overtaken, and the goroutines that kept taking the lock.`,
		Bad: `package main

import "github.com/condiag/condiag/sync"

var (
	mu    sync.Mutex
	state []int
)

func producer() {
	for i := 0; ; i++ {
		mu.Lock()
		state = append(state, expensive(i)) // slow work under the lock
		mu.Unlock()                         // and relocked at once
	}
}

func expensive(i int) int { return i * i }

func main() {
	go producer()
	mu.Lock() // overtaken by producer again and again: ST4001
	_ = len(state)
	mu.Unlock()
}
`,
		Fixed: `package main

import "github.com/condiag/condiag/sync"

var (
	mu    sync.Mutex
	state []int
)

func producer() {
	for i := 0; ; i++ {
		v := expensive(i) // slow work outside the lock
		mu.Lock()
		state = append(state, v)
		mu.Unlock()
	}
}

func expensive(i int) int { return i * i }

func main() {
	go producer()
	mu.Lock()
	_ = len(state)
	mu.Unlock()
}
`,
	},
	{
		ID:       "ST4002",
		Title:    "writer starvation on an RWMutex",
		Severity: SeverityWarning,
		Since:    "v0.1.0",
		Text: `A writer waited a long time for an RWMutex while readers held it.
Readers that hold the read lock across slow work keep writers out, and
while a writer waits, new readers queue behind it, so one slow reader
stalls every reader and writer of that lock. The finding names the
RWMutex, the waiting writer, how long it waited and the readers that
held the lock meanwhile, with their stacks.`,
		Bad: `package main

import (
	"strings"

	"github.com/condiag/condiag/sync"
)

type Index struct {
	mu   sync.RWMutex
	docs map[string]string
}

func (x *Index) Search(word string) (n int) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	for _, d := range x.docs { // slow scan under the read lock
		n += strings.Count(d, word)
	}
	return n
}

func (x *Index) Add(name, doc string) {
	x.mu.Lock() // waits for every slow Search: ST4002
	x.docs[name] = doc
	x.mu.Unlock()
}

func main() {
	x := &Index{docs: map[string]string{}}
	go x.Search("go")
	x.Add("a", "go go")
}
`,
		Fixed: `package main

import (
	"strings"

	"github.com/condiag/condiag/sync"
)

type Index struct {
	mu   sync.RWMutex
	docs map[string]string
}

func (x *Index) Search(word string) (n int) {
	x.mu.RLock()
	docs := make([]string, 0, len(x.docs))
	for _, d := range x.docs {
		docs = append(docs, d)
	}
	x.mu.RUnlock()
	for _, d := range docs { // slow scan without the lock
		n += strings.Count(d, word)
	}
	return n
}

func (x *Index) Add(name, doc string) {
	x.mu.Lock()
	x.docs[name] = doc
	x.mu.Unlock()
}

func main() {
	x := &Index{docs: map[string]string{}}
	go x.Search("go")
	x.Add("a", "go go")
}
`,
	},
	{
		ID:       "ST4003",
		Title:    "queue or pool starvation",
		Severity: SeverityWarning,
		Since:    "v0.1.0",
		Text: `Work waited too long for capacity: items sat in a queue, or callers
waited for a semaphore or worker pool, while all of the capacity was
busy. Often a few slow tasks hold every slot and quick tasks wait behind
them, or capacity is held across blocking calls. The finding names the
queue, pool or semaphore, how long work waited, and what the busy
capacity was doing at the time.`,
		Bad: `package main

import (
	"context"
	"net/http"

	"github.com/condiag/condiag/sync/semaphore"
)

var slots = semaphore.NewWeighted(4) // shared by every kind of request

func handle(ctx context.Context, url string) error {
	if err := slots.Acquire(ctx, 1); err != nil { // waits while uploads hold all slots: ST4003
		return err
	}
	defer slots.Release(1)
	resp, err := http.Post(url, "text/plain", nil) // slow uploads
	if err != nil {
		return err
	}
	return resp.Body.Close()
}

func main() {
	for range 8 {
		go handle(context.Background(), "http://upload.internal/")
	}
	handle(context.Background(), "http://upload.internal/")
}
`,
		Fixed: `package main

import (
	"context"
	"net/http"
	"time"

	"github.com/condiag/condiag/sync/semaphore"
)

var slots = semaphore.NewWeighted(4)

func handle(ctx context.Context, url string) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second) // bounded wait
	defer cancel()
	if err := slots.Acquire(ctx, 1); err != nil {
		return err
	}
	defer slots.Release(1)
	req, err := http.NewRequestWithContext(ctx, "POST", url, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req) // a slot is held 5s at most
	if err != nil {
		return err
	}
	return resp.Body.Close()
}

func main() {
	for range 8 {
		go handle(context.Background(), "http://upload.internal/")
	}
	handle(context.Background(), "http://upload.internal/")
}
`,
	},
}

var raceDocs = []*Doc{
	{
		ID:       "RC2001",
		Title:    "data race on declared shared state",
		Severity: SeverityError,
		Since:    "v0.1.0",
		Text: `Two goroutines accessed a location declared with race.Var, at least one
of them writing, and no synchronisation that condiag sees ordered the
two accesses: no lock, WaitGroup, Once, Cond, Barrier, Event, Queue,
semaphore, pool future, go statement or race.Edge made one happen
before the other. The result depends on timing, and under the Go memory
model a racy program can observe torn or stale values. The finding is
placed at the write and shows both accesses with their goroutines,
stacks and the locks each one held. Order through channels, sync/atomic
or the standard library's sync is invisible to condiag: declare it with
a race.Edge. From a -race log, the same ID reports a race the Go race
detector observed (docs/race.md).`,
		Bad: `package main

import (
	"fmt"

	"github.com/condiag/condiag/detect/race"
	"github.com/condiag/condiag/sync"
)

var (
	total    int
	totalVar = race.NewVar("total")
)

func main() {
	var wg sync.WaitGroup
	for i := range 3 {
		wg.Go(func() {
			totalVar.Write() // the three writes are in no order: RC2001
			total += i
		})
	}
	wg.Wait()
	fmt.Println(total)
}
`,
		Fixed: `package main

import (
	"fmt"

	"github.com/condiag/condiag/detect/race"
	"github.com/condiag/condiag/sync"
)

var (
	mu       sync.Mutex // guards total
	total    int
	totalVar = race.NewVar("total")
)

func main() {
	var wg sync.WaitGroup
	for i := range 3 {
		wg.Go(func() {
			mu.Lock()
			totalVar.Write()
			total += i
			mu.Unlock()
		})
	}
	wg.Wait()
	fmt.Println(total)
}
`,
	},
	{
		ID:       "RC2002",
		Title:    "inconsistent locking of shared state",
		Severity: SeverityError,
		Since:    "v0.1.0",
		Text: `A location declared with race.Var is written and shared by several
goroutines, yet no condiag lock is held at every access to it: the set
of locks held in common (its lockset) is empty. In this run the
accesses did not collide, because something else happened to order them
(often an unrelated critical section), which is why the Go race
detector stays quiet; under another schedule they run at the same time.
Initialisation by one goroutine before it hands the location over (a go
statement, a WaitGroup, a Queue...) is not a finding. The finding lists
the accesses and the locks each one held.`,
		Bad: `package main

import (
	"time"

	"github.com/condiag/condiag/detect/race"
	"github.com/condiag/condiag/sync"
)

var (
	mu       sync.Mutex // guards events, not count
	events   []string
	count    int
	countVar = race.NewVar("count")
)

func record(s string) {
	mu.Lock()
	events = append(events, s)
	mu.Unlock()
}

func main() {
	var wg sync.WaitGroup
	wg.Go(func() {
		countVar.Write()
		count++
		record("start")
	})
	wg.Go(func() {
		time.Sleep(50 * time.Millisecond)
		record("end")
		countVar.Write() // ordered by mu only by chance: RC2002
		count++
	})
	wg.Wait()
}
`,
		Fixed: `package main

import (
	"time"

	"github.com/condiag/condiag/detect/race"
	"github.com/condiag/condiag/sync"
)

var (
	mu       sync.Mutex // guards events and count
	events   []string
	count    int
	countVar = race.NewVar("count")
)

func record(s string) {
	mu.Lock()
	events = append(events, s)
	countVar.Write()
	count++
	mu.Unlock()
}

func main() {
	var wg sync.WaitGroup
	wg.Go(func() { record("start") })
	wg.Go(func() {
		time.Sleep(50 * time.Millisecond)
		record("end")
	})
	wg.Wait()
}
`,
	},
	{
		ID:       "RC2003",
		Title:    "guarded value accessed without its lock",
		Severity: SeverityError,
		Since:    "v0.1.0",
		Text: `A race.Guarded value, bound to the lock that protects it, was read by a
goroutine that did not hold that lock, or written by one that did not
hold it for writing. Even a read is unsafe: it can race with a write
made under the lock and see a half-updated value. Unlike a race
detector, this does not need the conflicting access to happen in the
same run: the missing lock is reported at the access, with its stack
and the goroutine holding the lock then, if any.`,
		Bad: `package main

import (
	"github.com/condiag/condiag/detect/race"
	"github.com/condiag/condiag/sync"
)

type Server struct {
	mu    sync.Mutex
	conns race.Guarded[map[int]string]
}

func (s *Server) Add(id int, addr string) {
	s.mu.Lock()
	s.conns.Get()[id] = addr
	s.mu.Unlock()
}

func (s *Server) Count() int {
	return len(s.conns.Get()) // without s.mu: RC2003
}

func main() {
	s := &Server{}
	s.conns.Guard(&s.mu)
	s.mu.Lock()
	s.conns.Set(map[int]string{})
	s.mu.Unlock()
	s.Add(1, "a")
	_ = s.Count()
}
`,
		Fixed: `package main

import (
	"github.com/condiag/condiag/detect/race"
	"github.com/condiag/condiag/sync"
)

type Server struct {
	mu    sync.Mutex
	conns race.Guarded[map[int]string]
}

func (s *Server) Add(id int, addr string) {
	s.mu.Lock()
	s.conns.Get()[id] = addr
	s.mu.Unlock()
}

func (s *Server) Count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.conns.Get())
}

func main() {
	s := &Server{}
	s.conns.Guard(&s.mu)
	s.mu.Lock()
	s.conns.Set(map[int]string{})
	s.mu.Unlock()
	s.Add(1, "a")
	_ = s.Count()
}
`,
	},
}

var contentionDocs = []*Doc{
	{
		ID:       "CT5001",
		Title:    "hot lock",
		Severity: SeverityInfo,
		Since:    "v0.1.0",
		Text: `A lock is contended: goroutines spent a noticeable share of their time
waiting for it. This is not a bug, but a hot lock serializes the program
and caps how far it scales with more cores. The report names the most
contended locks with how often and how long goroutines waited for them,
and the call sites that waited and held them most, so you can shorten
the critical sections, split the lock or pick a different structure.`,
		Bad: `package main

import "github.com/condiag/condiag/sync"

var (
	mu    sync.Mutex // one lock for every lookup: CT5001
	cache = map[string][]byte{}
)

func Get(k string) []byte {
	mu.Lock()
	defer mu.Unlock()
	return cache[k]
}

func main() {
	for range 100 {
		go Get("k")
	}
}
`,
		Fixed: `package main

import "github.com/condiag/condiag/sync"

var cache sync.Map // string -> []byte, built for read-mostly use

func Get(k string) []byte {
	v, _ := cache.Load(k)
	b, _ := v.([]byte)
	return b
}

func main() {
	for range 100 {
		go Get("k")
	}
}
`,
	},
}
