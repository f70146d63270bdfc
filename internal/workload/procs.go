package workload

import (
	"os"
	"strings"
)

// PrimeSum is CPU-bound work for the process fixtures: the sum of the
// primes up to n, by trial division.
func PrimeSum(n int) int {
	sum := 0
	for i := 2; i <= n; i++ {
		prime := true
		for d := 2; d*d <= i; d++ {
			if i%d == 0 {
				prime = false
				break
			}
		}
		if prime {
			sum += i
		}
	}
	return sum
}

// ChildEnv is this process's environment for a child process, plus
// extra. A trace path with %p gives each process a trace of its own
// (condiag run sets one); a plain one would be written over by every
// process, so the children then record none.
func ChildEnv(extra ...string) []string {
	var out []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "CONDIAG_TRACE=") && !strings.Contains(kv, "%p") {
			continue
		}
		out = append(out, kv)
	}
	return append(out, extra...)
}
