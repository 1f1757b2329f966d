package state

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// Dir keeps states as files in a local directory, for the CLI's --state DIR:
// <dir>/<account>.json.gz.
//
// Save writes a temporary file in the directory and renames it over the
// state, so a reader sees the old state or the new one, never half of
// either. Its conflict check compares a hash of the file's content with the
// token from Load just before the rename. Two processes saving within the
// same instant can still both pass the check (there is no portable file
// lock); that window is microseconds for a command run by hand.
type Dir struct {
	path string
}

// NewDir returns a store in directory path; Save creates the directory if
// it is missing (the CLI makes it before the run, to refuse one it cannot).
func NewDir(path string) *Dir { return &Dir{path: path} }

// File is the path of accountID's state.
func (d *Dir) File(accountID string) string {
	return filepath.Join(d.path, accountID+".json.gz")
}

// Hint says what to check after Load or Save failed with err: the file, or
// the directory and its permissions.
func (d *Dir) Hint(err error) string {
	if errors.Is(err, errNotFile) {
		return "keep the state file itself in " + d.path + ", or remove what is there to start afresh: every open finding is then reported as new."
	}
	return hint(err, "the state file is not one credaudit wrote; restore it from a backup",
		"check that "+d.path+" is a directory this user may read and write.")
}

// errNotFile: what is at a state's path is not a regular file.
var errNotFile = errors.New("not a state file")

// readFile reads the regular file path. A path with nothing at it is
// fs.ErrNotExist; a symbolic link, even to a state, or a directory is
// errNotFile: Save renames a new file over the path, which would replace a
// link and leave its target as it was, and a link to nothing would read as
// no state at all.
func readFile(path string) ([]byte, error) {
	fi, err := os.Lstat(path)
	if err != nil {
		return nil, err
	}
	switch {
	case fi.Mode()&fs.ModeSymlink != 0:
		target, _ := os.Readlink(path)
		return nil, fmt.Errorf("%s is a symbolic link (to %s), %w: a save replaces the file, so it would replace the link and leave its target as it was", path, target, errNotFile)
	case fi.IsDir():
		return nil, fmt.Errorf("%s is a directory, %w", path, errNotFile)
	case !fi.Mode().IsRegular():
		return nil, fmt.Errorf("%s is a special file (a named pipe, a device or a socket), %w", path, errNotFile)
	}
	return os.ReadFile(path)
}

// Load reads accountID's state.
func (d *Dir) Load(ctx context.Context, accountID string) (*State, Token, error) {
	if err := validAccountID(accountID); err != nil {
		return nil, NoObject, fmt.Errorf("load state: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return nil, NoObject, fmt.Errorf("load state: %w", err)
	}
	f := d.File(accountID)
	data, err := readFile(f)
	if errors.Is(err, fs.ErrNotExist) {
		return New(accountID), NoObject, nil
	}
	if err != nil {
		return nil, NoObject, fmt.Errorf("load state: %w", err)
	}
	s, err := decodeFor(accountID, data)
	if err != nil {
		return nil, NoObject, fmt.Errorf("load state %s: %w", f, err)
	}
	return s, contentToken(data), nil
}

// Save writes accountID's state if the file is still the one Load read.
func (d *Dir) Save(ctx context.Context, accountID string, s *State, token Token) (_ Token, err error) {
	if err := validAccountID(accountID); err != nil {
		return NoObject, fmt.Errorf("save state: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return NoObject, fmt.Errorf("save state: %w", err)
	}
	f := d.File(accountID)
	data, err := encodeFor(accountID, s)
	if err != nil {
		return NoObject, fmt.Errorf("save state %s: %w", f, err)
	}
	tmp, err := d.writeTemp(accountID+".json.gz", data)
	if err != nil {
		return NoObject, fmt.Errorf("save state: %w", err)
	}
	defer func() {
		if err != nil {
			os.Remove(tmp)
		}
	}()
	switch err := d.renameIf(tmp, f, token); {
	case errors.Is(err, ErrConflict):
		return NoObject, fmt.Errorf("save state %s: %w", f, err)
	case err != nil:
		return NoObject, fmt.Errorf("save state: %w", err)
	}
	return contentToken(data), nil
}

// renameIf renames tmp over file if file is still the version token
// names (NoObject: there is none), and fails with ErrConflict otherwise.
func (d *Dir) renameIf(tmp, file string, token Token) error {
	current := NoObject
	switch cur, err := readFile(file); {
	case err == nil:
		current = contentToken(cur)
	case !errors.Is(err, fs.ErrNotExist):
		return err
	}
	if current != token {
		return ErrConflict
	}
	if err := os.Rename(tmp, file); err != nil {
		return err
	}
	syncDir(d.path)
	return nil
}

// Path is the path of the directory's file name.
func (d *Dir) Path(name string) string { return filepath.Join(d.path, name) }

// ReadFile reads the directory's file name, one that is not a state (the
// organisation digests owed, for one), and its Token for WriteFile; an
// error satisfying errors.Is(err, fs.ErrNotExist) when there is none
// (whose Token is NoObject).
func (d *Dir) ReadFile(name string) ([]byte, Token, error) {
	data, err := readFile(d.Path(name))
	if err != nil {
		return nil, NoObject, err
	}
	return data, contentToken(data), nil
}

// WriteFile replaces the directory's file name with data as Save replaces
// a state: only if the file is still the version token names (NoObject:
// there is none), else ErrConflict; and a reader sees the old file or the
// new one, never half of either.
func (d *Dir) WriteFile(name string, data []byte, token Token) error {
	tmp, err := d.writeTemp(name, data)
	if err != nil {
		return err
	}
	if err := d.renameIf(tmp, d.Path(name), token); err != nil {
		os.Remove(tmp)
		return err
	}
	return nil
}

// writeTemp writes data to a new temporary file in the directory, to be
// renamed over the file name, and returns its path; the directory is made
// if it is missing.
func (d *Dir) writeTemp(name string, data []byte) (path string, err error) {
	if err := os.MkdirAll(d.path, 0o700); err != nil {
		return "", err
	}
	tmp, err := os.CreateTemp(d.path, "."+name+".*.tmp")
	if err != nil {
		return "", err
	}
	defer func() {
		if err != nil {
			os.Remove(tmp.Name())
		}
	}()
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return "", err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return "", err
	}
	if err := tmp.Close(); err != nil {
		return "", err
	}
	return tmp.Name(), nil
}

// syncDir makes a rename in dir durable where the platform allows it.
func syncDir(dir string) {
	if f, err := os.Open(dir); err == nil {
		f.Sync() // not supported everywhere (Windows); the rename stands anyway
		f.Close()
	}
}

// contentToken is the Token of a file's content.
func contentToken(data []byte) Token {
	sum := sha256.Sum256(data)
	return Token("sha256:" + hex.EncodeToString(sum[:]))
}
