package sync

import "sync"

// Map is the standard library's [sync.Map]: a map safe for concurrent use
// without further locking. It is not instrumented: it cannot deadlock.
type Map = sync.Map

// Pool is the standard library's [sync.Pool]: a set of temporary objects
// that may be individually saved and retrieved. It is not instrumented:
// it cannot deadlock.
type Pool = sync.Pool

// A Locker represents an object that can be locked and unlocked.
type Locker = sync.Locker
