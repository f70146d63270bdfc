package sync

// noCopy makes go vet's copylocks check flag copies of a struct that
// embeds it.
type noCopy struct{}

func (*noCopy) Lock()   {}
func (*noCopy) Unlock() {}
