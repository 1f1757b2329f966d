//go:build unix

package state

import (
	"os"
	"strings"
	"syscall"
	"testing"
)

// A named pipe where the state goes is refused, not read until a writer
// comes: a run would hang.
func TestDirRefusesANamedPipe(t *testing.T) {
	st := NewDir(t.TempDir())
	if err := syscall.Mkfifo(st.File(acct), 0o600); err != nil {
		t.Fatal(err)
	}
	_, _, err := st.Load(t.Context(), acct)
	if want := acct + ".json.gz is a special file (a named pipe, a device or a socket), not a state file"; err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("Load: %v, want %q", err, want)
	}
	if fi, err := os.Lstat(st.File(acct)); err != nil || fi.Mode()&os.ModeNamedPipe == 0 {
		t.Errorf("the pipe changed: %v, %v", fi, err)
	}
}
