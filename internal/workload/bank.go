// Package workload holds the lock-heavy programs that fixtures and
// benchmarks share.
package workload

import (
	"fmt"
	"math/rand/v2"

	"github.com/condiag/condiag/detect/race"
	"github.com/condiag/condiag/sync"
)

type account struct {
	mu      sync.Mutex
	balance int
	v       *race.Var // declares balance, for the race checks; nil if not
}

type bank struct {
	audit    sync.RWMutex // transfers read-lock it, audits write-lock it
	accounts []*account
}

func (b *bank) transfer(from, to, amount int) {
	if from == to {
		return
	}
	b.audit.RLock()
	defer b.audit.RUnlock()
	first, second := b.accounts[from], b.accounts[to]
	if from > to {
		first, second = second, first
	}
	first.mu.Lock()
	second.mu.Lock()
	b.accounts[from].access()
	b.accounts[from].balance -= amount
	b.accounts[to].access()
	b.accounts[to].balance += amount
	second.mu.Unlock()
	first.mu.Unlock()
}

func (b *bank) total() int {
	b.audit.Lock()
	defer b.audit.Unlock()
	sum := 0
	for _, a := range b.accounts {
		a.mu.Lock()
		if a.v != nil {
			a.v.Read()
		}
		sum += a.balance
		a.mu.Unlock()
	}
	return sum
}

// Bank moves money between 16 accounts from workers goroutines, n
// transfers each, locking two accounts at a time in the order of their
// numbers under a read lock of the bank, and audits the total under its
// write lock every 1000 transfers. It returns the final total (16000).
func Bank(workers, n int) int { return runBank(workers, n, false) }

// BankChecked is Bank with each balance declared as a [race.Var], read
// and written at each transfer: a workload of the race checks, which it
// starts for the whole process. It has no race.
func BankChecked(workers, n int) int { return runBank(workers, n, true) }

// access declares a read and a write of a's balance.
func (a *account) access() {
	if a.v != nil {
		a.v.Read()
		a.v.Write()
	}
}

func runBank(workers, n int, checked bool) int {
	b := &bank{}
	for i := range 16 {
		a := &account{balance: 1000}
		if checked {
			a.v = race.NewVar(fmt.Sprintf("account[%d].balance", i))
		}
		b.accounts = append(b.accounts, a)
	}
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			r := rand.New(rand.NewPCG(uint64(w), 1))
			for i := range n {
				b.transfer(r.IntN(len(b.accounts)), r.IntN(len(b.accounts)), r.IntN(10))
				if i%1000 == 0 {
					b.total()
				}
			}
		})
	}
	wg.Wait()
	return b.total()
}

// PingPong passes a token between two goroutines n times over unbuffered
// channels: a workload of goroutine switches, for runtime traces.
func PingPong(n int) {
	ping, pong := make(chan int), make(chan int)
	go func() {
		for v := range ping {
			pong <- v + 1
		}
		close(pong)
	}()
	for i := range n {
		ping <- i
		<-pong
	}
	close(ping)
}
