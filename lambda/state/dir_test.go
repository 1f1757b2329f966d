package state

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

func TestDir(t *testing.T) {
	testStore(t, func(t *testing.T) storeUnderTest {
		dir := filepath.Join(t.TempDir(), "state")
		return storeUnderTest{
			store: NewDir(dir),
			put: func(t *testing.T, accountID string, data []byte) {
				t.Helper()
				if err := os.MkdirAll(dir, 0o700); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(dir, accountID+".json.gz"), data, 0o600); err != nil {
					t.Fatal(err)
				}
			},
		}
	})
}

func TestDirWritesOneFileAndNoLeftovers(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "new", "state")
	st := NewDir(dir)
	if _, err := st.Save(t.Context(), acct, sample(), NoObject); err != nil {
		t.Fatal(err)
	}
	// A conflicting save leaves no temporary file either.
	if _, err := st.Save(t.Context(), acct, sample(), NoObject); !errors.Is(err, ErrConflict) {
		t.Fatalf("second save error = %v, want ErrConflict", err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if len(names) != 1 || names[0] != acct+".json.gz" {
		t.Errorf("directory holds %q, want only %s.json.gz", names, acct)
	}
	if got := st.File(acct); got != filepath.Join(dir, acct+".json.gz") {
		t.Errorf("File = %q", got)
	}
	if runtime.GOOS != "windows" {
		fi, err := os.Stat(st.File(acct))
		if err != nil {
			t.Fatal(err)
		}
		if perm := fi.Mode().Perm(); perm != 0o600 {
			t.Errorf("state file mode %v, want 0600 (it names users)", perm)
		}
	}
}

func TestDirDetectsAFileChangedBehindItsBack(t *testing.T) {
	dir := t.TempDir()
	st := NewDir(dir)
	if _, err := st.Save(t.Context(), acct, sample(), NoObject); err != nil {
		t.Fatal(err)
	}
	s, tok, err := st.Load(t.Context(), acct)
	if err != nil {
		t.Fatal(err)
	}
	// Another process deletes the state.
	if err := os.Remove(st.File(acct)); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Save(t.Context(), acct, s, tok); !errors.Is(err, ErrConflict) {
		t.Errorf("save over a deleted state: error = %v, want ErrConflict", err)
	}
}

// A file that is not a state (the organisation digests owed) is written
// as a state is: only over the version read, and without leftovers.
func TestDirWritesAFileOnlyOverTheVersionRead(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state")
	st := NewDir(dir)
	const name = "owed-digests.json"
	if _, tok, err := st.ReadFile(name); !errors.Is(err, fs.ErrNotExist) || tok != NoObject {
		t.Fatalf("ReadFile of a missing file: %v, %q; want fs.ErrNotExist, NoObject", err, tok)
	}
	if err := st.WriteFile(name, []byte("first"), NoObject); err != nil {
		t.Fatal(err)
	}
	data, tok, err := st.ReadFile(name)
	if err != nil || string(data) != "first" {
		t.Fatalf("ReadFile = %q, %v", data, err)
	}
	// Another writer, creating it (NoObject), or writing over the version
	// read, after this one's.
	if err := st.WriteFile(name, []byte("created"), NoObject); !errors.Is(err, ErrConflict) {
		t.Errorf("a write as if there were no file: %v, want ErrConflict", err)
	}
	if err := st.WriteFile(name, []byte("second"), tok); err != nil {
		t.Fatal(err)
	}
	if err := st.WriteFile(name, []byte("third"), tok); !errors.Is(err, ErrConflict) {
		t.Errorf("a write over a version since replaced: %v, want ErrConflict", err)
	}
	if data, _, err := st.ReadFile(name); err != nil || string(data) != "second" {
		t.Errorf("after the refused writes: %q, %v; want the second write's", data, err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil || len(entries) != 1 {
		t.Errorf("directory holds %v (%v), want only %s", entries, err, name)
	}
}

func TestDirStopsOnACanceledContext(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	st := NewDir(t.TempDir())
	if _, _, err := st.Load(ctx, acct); err == nil {
		t.Errorf("Load succeeded on a canceled context")
	}
	if _, err := st.Save(ctx, acct, sample(), NoObject); err == nil {
		t.Errorf("Save succeeded on a canceled context")
	}
}

// Each of Dir's failures comes with what to check in the directory's terms,
// never the Lambda's bucket.
func TestDirHints(t *testing.T) {
	dir := t.TempDir()
	corrupt := NewDir(dir)
	if err := os.WriteFile(corrupt.File(acct), []byte("not a state"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, _, corruptErr := corrupt.Load(t.Context(), acct)

	notADir := filepath.Join(dir, "file")
	if err := os.WriteFile(notADir, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	blocked := NewDir(notADir)
	_, blockedErr := blocked.Save(t.Context(), acct, sample(), NoObject)

	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	stopped := NewDir(dir)
	_, stoppedErr := stopped.Save(ctx, acct, sample(), NoObject)

	for _, tc := range []struct {
		name string
		st   *Dir
		err  error
		want string
	}{
		{"a file that is not a state", corrupt, corruptErr, "the state file is not one credaudit wrote"},
		{"a directory that cannot be written", blocked, blockedErr, "check that " + notADir + " is a directory this user may read and write"},
		{"a stopped run", stopped, stoppedErr, "the stored state is as it was"},
		{"another version's state", stopped, fmt.Errorf("load state: %w", ErrVersion), "written by another credaudit version"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.err == nil {
				t.Fatal("no error to explain")
			}
			if got := tc.st.Hint(tc.err); !strings.Contains(got, tc.want) || strings.Contains(got, "bucket") {
				t.Errorf("Hint(%v) = %q, want it to say %q and no bucket", tc.err, got, tc.want)
			}
		})
	}
}

// What is at a state's path and is no regular file is refused, named, and
// left as it was: a link to nothing would read as no state at all, and a
// save would replace a link to a state and leave the state behind it as it
// was.
func TestDirRefusesWhatIsNoFile(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("symbolic links need privileges on Windows")
	}
	for _, tc := range []struct {
		name  string
		make  func(t *testing.T, path string)
		wants []string
	}{
		{"a link to nothing", func(t *testing.T, path string) {
			if err := os.Symlink(filepath.Join(t.TempDir(), "gone.json.gz"), path); err != nil {
				t.Fatal(err)
			}
		}, []string{"is a symbolic link (to ", "gone.json.gz), not a state file: a save replaces the file"}},
		{"a link to a state", func(t *testing.T, path string) {
			target := filepath.Join(t.TempDir(), "kept.json.gz")
			data, err := Encode(sample())
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(target, data, 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink(target, path); err != nil {
				t.Fatal(err)
			}
		}, []string{"is a symbolic link (to ", "kept.json.gz), not a state file"}},
		{"a directory", func(t *testing.T, path string) {
			if err := os.Mkdir(path, 0o700); err != nil {
				t.Fatal(err)
			}
		}, []string{acct + ".json.gz is a directory, not a state file"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			st := NewDir(dir)
			path := st.File(acct)
			tc.make(t, path)
			before, _ := os.Lstat(path)
			_, _, err := st.Load(t.Context(), acct)
			if err == nil {
				t.Fatal("loaded")
			}
			for _, want := range tc.wants {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q, want it to say %q", err, want)
				}
			}
			if hint := st.Hint(err); !strings.Contains(hint, "keep the state file itself in "+dir) {
				t.Errorf("hint %q", hint)
			}
			if _, err := st.Save(t.Context(), acct, sample(), NoObject); !errors.Is(err, errNotFile) {
				t.Errorf("saved over it: %v", err)
			}
			after, err := os.Lstat(path)
			if err != nil || after.Mode() != before.Mode() {
				t.Errorf("%s changed: %v, %v", path, after, err)
			}
		})
	}
}
