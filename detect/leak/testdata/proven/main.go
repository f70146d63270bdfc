// Command proven leaks a goroutine on a channel that nothing else
// refers to, and one on a channel kept in a global: built with
// GOEXPERIMENT=goroutineleakprofile, the garbage collector proves the
// first leaked and cannot prove the second (leak_test.go runs it).
package main

import (
	"fmt"
	"os"

	"github.com/condiag/condiag/detect/leak"
)

var kept = make(chan int)

func lost() {
	ch := make(chan int)
	go func() { <-ch }() // nobody else can reach ch
}

func global() { <-kept }

func main() {
	lost()
	go global()
	fmt.Println("profile:", leak.ProfileAvailable())
	if err := leak.Find(); err != nil {
		fmt.Fprintln(os.Stderr, err)
	}
}
