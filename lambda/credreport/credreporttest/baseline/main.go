// Command baseline reads a credential report file the way
// credreporttest.BaselineRead does (encoding/csv, and time.Parse of every
// timestamp cell) and nothing else. The scan process benchmark runs it to
// show what the baseline costs as a process of its own.
package main

import (
	"fmt"
	"os"

	"github.com/credaudit/credaudit/lambda/credreport/credreporttest"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: baseline FILE")
		os.Exit(2)
	}
	f, err := os.Open(os.Args[1])
	if err == nil {
		err = credreporttest.BaselineRead(f)
		f.Close()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "baseline:", err)
		os.Exit(1)
	}
}
