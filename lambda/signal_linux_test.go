package main

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// A run that calls no AWS API (a report file, with or without --state or
// ASFF) leaves SIGTERM and SIGINT their default action: sent while it waits
// for its report on stdin, the signal ends the process at once. (A run that
// arms them, as the live ones do, would take the signal, go on reading, and
// exit 2 on the empty report once stdin is closed.)
func TestFileRunsEndBySignal(t *testing.T) {
	bin := commandLineBinary(t)
	for _, tc := range []struct {
		sig  syscall.Signal
		args []string
	}{
		{syscall.SIGTERM, []string{"scan", "--report", "-", "--format", "json"}},
		{syscall.SIGINT, []string{"scan", "--report", "-", "--format", "asff"}},
		{syscall.SIGTERM, []string{"scan", "--report", "-", "--state", t.TempDir(), "--format", "json"}},
		{syscall.SIGINT, []string{"query", "--report", "-"}},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			cmd := exec.Command(bin, tc.args...)
			stdin, err := cmd.StdinPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			waitReadingStdin(t, cmd.Process.Pid)
			if err := cmd.Process.Signal(tc.sig); err != nil {
				t.Fatal(err)
			}
			stdin.Close()
			err = cmd.Wait()
			var ee *exec.ExitError
			if !errors.As(err, &ee) {
				t.Fatalf("exit %v, want the end by %v", err, tc.sig)
			}
			if ws := ee.Sys().(syscall.WaitStatus); !ws.Signaled() || ws.Signal() != tc.sig {
				t.Errorf("%v, want the end by %v", ee, tc.sig)
			}
		})
	}
}

// waitReadingStdin waits until a thread of process pid is in read(0, …),
// as /proc/<pid>/task/<tid>/syscall shows: the run is then past start-up,
// where any handler it installs would be armed.
func waitReadingStdin(t *testing.T, pid int) {
	t.Helper()
	reading := strconv.Itoa(syscall.SYS_READ) + " 0x0 " // the call's number and its first argument, fd 0
	for range 4000 {
		tasks, _ := filepath.Glob(filepath.Join("/proc", strconv.Itoa(pid), "task", "*", "syscall"))
		for _, task := range tasks {
			if b, err := os.ReadFile(task); err == nil && strings.HasPrefix(string(b), reading) {
				return
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("process %d never read its stdin", pid)
}
