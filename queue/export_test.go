package queue

// Waiters returns the number of Puts and Gets waiting in q, for tests
// that must know a goroutine is blocked.
func (q *Queue[T]) Waiters() (puts, gets int) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for w := q.putters.Front(); w != nil; w = q.putters.Next(w) {
		puts++
	}
	for w := q.getters.Front(); w != nil; w = q.getters.Next(w) {
		gets++
	}
	return puts, gets
}

// Instrumented says whether the monitor calls are compiled in (not with
// the tag condiagoff).
const Instrumented = instrumented
