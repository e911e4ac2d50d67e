package main

import "os"

// The package's tests read the English labels unless they ask for others (--lang zh
// or LANG): the machine's locale must not decide what they see.
func init() {
	os.Unsetenv("LC_ALL")
	os.Setenv("LANG", "en_US.UTF-8")
}
