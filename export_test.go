package condiag

// SetExitForTest replaces os.Exit in VerifyTestMain and returns a
// function that restores it.
func SetExitForTest(f func(int)) (restore func()) {
	old := osExit
	osExit = f
	return func() { osExit = old }
}
