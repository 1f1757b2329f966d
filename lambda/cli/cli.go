// Package cli is credaudit's command line: the same audit the Lambda runs,
// driven from a laptop or CI against a live account or a report file.
package cli

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
	"unicode"
	"unicode/utf8"

	"golang.org/x/term"
)

// Exit codes, documented in the README.
const (
	ExitOK       = 0 // success; for scan: nothing failing at or above --fail-on
	ExitFindings = 1 // scan: failing, unsuppressed results at or above --fail-on; query: a row matched, with --fail-if-any
	ExitUsage    = 2 // bad flags, bad input file, bad expression or configuration
	ExitAWS      = 3 // the report could not be acquired from AWS (permissions, throttling, deadline), publishing failed, or an account of scan --org failed
)

// IO is where a command reads and writes.
type IO struct {
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
}

// exitError carries the exit code an error maps to.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func usageErr(format string, args ...any) error {
	return &exitError{ExitUsage, fmt.Errorf(format, args...)}
}

type command struct {
	name    string
	summary string
	run     func(ctx context.Context, args []string, io IO) error
}

func commands() []command {
	return []command{
		{"scan", "evaluate the rule catalog and custom rules over the report", runScan},
		{"query", "print the credential report's rows, filtered with a CEL expression", runQuery},
		{"version", "print the version", runVersion},
	}
}

// interruptible is ctx cancelled by SIGINT or SIGTERM until stop is called,
// when the run calls AWS (callsAWS: a live account, --org or --publish), so
// that an interrupted run ends its calls and reports their error like any
// other failure to see. A run that does not leaves the signals their
// default action, which ends it at once (reading stdin included), and saves
// arming them: 1.5-2 ms of a file scan (the handlers' thread; README,
// "Benchmarks").
func interruptible(ctx context.Context, callsAWS bool) (context.Context, context.CancelFunc) {
	if !callsAWS {
		return ctx, func() {}
	}
	return signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
}

// interrupted stops the signals of interruptible's ctx and returns err,
// which says so first when a signal cancelled ctx: the cancelled call's
// own error says only "context canceled".
func interrupted(ctx context.Context, stop context.CancelFunc, err error) error {
	cause := context.Cause(ctx) // read before stop cancels ctx without one
	stop()
	// A signal's cause Is context.Canceled: only the bare value is no signal.
	if err == nil || cause == nil || cause == context.Canceled || cause == context.DeadlineExceeded {
		return err
	}
	return fmt.Errorf("interrupted (%v): %w", cause, err)
}

// Version, when set at build time (-ldflags "-X
// github.com/credaudit/credaudit/lambda/cli.Version=v1.2.3"), is the
// version `credaudit version` and SARIF's tool.driver.version name;
// otherwise they name the one Go recorded in the binary (version).
var Version = ""

// version is Version, else what Go recorded in the binary: the module's
// version (go install …@v1.2.3, or since Go 1.24 a go build in a checkout:
// its tag or a pseudo-version of its commit, +dirty with uncommitted
// changes), else the commit, else "dev" (a test binary, go run, a build
// outside version control).
func version() string {
	bi, ok := debug.ReadBuildInfo()
	return versionOf(Version, bi, ok)
}

func versionOf(set string, bi *debug.BuildInfo, ok bool) string {
	if set != "" {
		return set
	}
	if !ok || bi == nil {
		return "dev"
	}
	if v := bi.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	var rev, modified string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			modified = s.Value
		}
	}
	if rev == "" {
		return "dev"
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if modified == "true" {
		rev += "+dirty"
	}
	return rev
}

// Run runs the command line and returns the process exit code. It never panics
// on bad input and prints no stack traces.
func Run(ctx context.Context, args []string, io IO) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" || args[0] == "-help" {
		if len(args) > 1 {
			return Run(ctx, []string{args[1], "--help"}, io)
		}
		if len(args) == 0 { // a usage error: its text is no output
			usage(io.Stderr)
			return ExitUsage
		}
		if err := writeHelp(io.Stdout, usage); err != nil {
			fmt.Fprintf(io.Stderr, "credaudit: %v\n", err)
			return ExitUsage
		}
		return ExitOK
	}
	for _, c := range commands() {
		if c.name != args[0] {
			continue
		}
		err := c.run(ctx, args[1:], io)
		if err == nil {
			return ExitOK
		}
		if errors.Is(err, flag.ErrHelp) {
			return ExitOK
		}
		fmt.Fprintf(io.Stderr, "credaudit %s: %v\n", c.name, err)
		var ee *exitError
		if errors.As(err, &ee) {
			return ee.code
		}
		return ExitUsage
	}
	fmt.Fprintf(io.Stderr, "credaudit: unknown command %q\n\n", args[0])
	usage(io.Stderr)
	return ExitUsage
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "credaudit audits the IAM credential report of an AWS account.")
	fmt.Fprintln(w, "\nUsage: credaudit <command> [flags]\n\nCommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-8s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nRun 'credaudit <command> --help' for a command's flags.")
	fmt.Fprintln(w, "Exit codes: 0 ok, 1 failing results at or above --fail-on (scan) or a row matched with --fail-if-any (query), 2 bad usage or input, 3 report not acquired from AWS, publishing failed, or an account of --org failed.")
}

// newFlags returns a flag set that reports errors instead of exiting and
// prints nothing itself: parseFlags prints its help, the caller its errors.
func newFlags(name, synopsis string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {
		out := fs.Output()
		fmt.Fprintf(out, "Usage: credaudit %s\n", strings.TrimSpace(name+" "+synopsis))
		var defaults strings.Builder
		fs.SetOutput(&defaults)
		fs.PrintDefaults()
		fs.SetOutput(out)
		if defaults.Len() > 0 {
			// The flag package writes each flag as "  -name"; the usage
			// line, the errors and the README write "--name", which the
			// flag package reads too.
			fmt.Fprintf(out, "\nFlags:\n%s", strings.ReplaceAll("\n"+defaults.String(), "\n  -", "\n  --")[1:])
		}
	}
	return fs
}

// writeHelp writes what write prints to w in one write, and an error when
// it fails: help printed with fmt's calls, whose errors go unread, would
// otherwise fail unseen (exit 0 with no help).
func writeHelp(w io.Writer, write func(io.Writer)) error {
	var b bytes.Buffer
	write(&b)
	if _, err := w.Write(b.Bytes()); err != nil {
		return fmt.Errorf("writing the help: %w", err)
	}
	return nil
}

// parseFlags parses args, sending --help to stdout, before any other flag
// is read. Stray positional arguments are an error: every input is a named
// flag.
func parseFlags(fs *flag.FlagSet, args []string, streams IO) error {
	help := func() error {
		if err := writeHelp(streams.Stdout, func(w io.Writer) { fs.SetOutput(w); fs.Usage() }); err != nil {
			return err
		}
		return flag.ErrHelp
	}
	if asksHelp(fs, args) {
		return help()
	}
	// The flag package's error is printed once, by the caller, with where
	// the usage is, not after the whole usage.
	var twice error
	restore := givenOnce(fs, &twice)
	err := fs.Parse(args)
	restore()
	switch {
	case twice != nil: // the flag package's own wording would say it twice
		return &exitError{ExitUsage, twice}
	case errors.Is(err, flag.ErrHelp): // --help=true, -h=1
		return help()
	case err != nil:
		return &exitError{ExitUsage, fmt.Errorf("%w (see credaudit %s --help)", err, fs.Name())}
	}
	if fs.NArg() > 0 {
		return usageErr("unexpected argument %q (every input is a flag; see --help)", fs.Arg(0))
	}
	// An empty value is refused, not read as the flag left out: a script's
	// --fail-on "$LEVEL" or --report "$FILE" with the variable unset would
	// otherwise run with the default unnoticed (no gate; the live account).
	var empty error
	fs.Visit(func(f *flag.Flag) {
		if empty == nil && !isBoolFlag(f.Value) && strings.TrimSpace(f.Value.String()) == "" {
			empty = usageErr("--%s %q is empty; leave the flag out for its default", f.Name, f.Value.String())
		}
	})
	return empty
}

// asksHelp reports whether args ask for help (-h, -help, --help) where a
// flag may stand: not as a flag's value (--report -h reads a file named
// -h, as the flag package does), nor after "--" or the first argument
// that is not a flag, where the flag package stops.
func asksHelp(fs *flag.FlagSet, args []string) bool {
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "-h" || a == "-help" || a == "--help":
			return true
		case a == "--" || len(a) < 2 || a[0] != '-':
			return false
		case strings.Contains(a, "="):
			continue
		}
		f := fs.Lookup(strings.TrimLeft(a, "-"))
		if f == nil {
			continue // the flag package's error, unless help is asked for
		}
		if !isBoolFlag(f.Value) {
			i++ // the flag's value
		}
	}
	return false
}

// givenOnce makes each of fs's flags refuse a second, different value,
// saying why in *twice, until the returned func restores them: the flag
// package keeps the last, so a script's --report a.csv … --report b.csv
// would scan b.csv unnoticed, and --exclude-accounts 111
// --exclude-accounts 222 would audit 111. The same value again (--publish
// --publish) is harmless and taken.
func givenOnce(fs *flag.FlagSet, twice *error) (restore func()) {
	var flags []*flag.Flag
	var values []flag.Value
	fs.VisitAll(func(f *flag.Flag) {
		flags, values = append(flags, f), append(values, f.Value)
		f.Value = &onceValue{Value: f.Value, name: f.Name, twice: twice}
	})
	return func() {
		for i, f := range flags {
			f.Value = values[i]
		}
	}
}

// onceValue is a flag's value that refuses a second, different one.
type onceValue struct {
	flag.Value
	name  string
	given *string // the first value given, nil before it
	twice *error
}

func (v *onceValue) Set(s string) error {
	if v.given != nil {
		if s == *v.given {
			return nil
		}
		*v.twice = fmt.Errorf("--%s given twice, %q and %q; give it once", v.name, *v.given, s)
		return *v.twice
	}
	v.given = &s
	return v.Value.Set(s)
}

// IsBoolFlag keeps a boolean flag one that takes no value.
func (v *onceValue) IsBoolFlag() bool { return isBoolFlag(v.Value) }

// isBoolFlag reports whether v is a boolean flag's value, one the flag
// package takes without a value (--count, not --count true).
func isBoolFlag(v flag.Value) bool {
	b, ok := v.(interface{ IsBoolFlag() bool })
	return ok && b.IsBoolFlag()
}

func runVersion(_ context.Context, args []string, io IO) error {
	fs := newFlags("version", "")
	if err := parseFlags(fs, args, io); err != nil {
		return err
	}
	if _, err := fmt.Fprintln(io.Stdout, "credaudit", version()); err != nil {
		return fmt.Errorf("writing the version: %w", err)
	}
	return nil
}

// isTerminal reports whether w is a terminal (for the default format and colour).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// colorOn reports whether output to a terminal (tty) may be coloured: not
// when NO_COLOR is set to anything (no-color.org), nor on a terminal that
// says it cannot show colour (TERM=dumb).
func colorOn(tty bool, getenv func(string) string) bool {
	return tty && getenv("NO_COLOR") == "" && getenv("TERM") != "dumb"
}

// terminalSafe returns s as a terminal shows it harmlessly: a character
// that is not printable (an escape sequence's ESC, a tab or line break that
// would break a table's layout) or a byte that is not UTF-8 is written as
// Go escapes it (\x1b, \t, \n, \xff), and a backslash as \\, so that a
// name holding the four characters \x1b does not print as one holding ESC. A malformed report can hold such
// bytes in any cell; IAM's own names never do.
func terminalSafe(s string) string { return escapeTerminal(s, true) }

// digestSafe is a line of a digest as terminalSafe would show it, but for
// its backslashes: the digest has written its own escapes (oneLine: a line
// break in an error as \n), which are read as the email reads them, not
// doubled.
func digestSafe(s string) string { return escapeTerminal(s, false) }

// escapeTerminal is terminalSafe, with backslashes doubled or kept.
func escapeTerminal(s string, backslash bool) string {
	i := 0
	for i < len(s) && s[i] >= 0x20 && s[i] < 0x7f && (s[i] != '\\' || !backslash) { // the common case: printable ASCII
		i++
	}
	if i == len(s) {
		return s
	}
	b := []byte(s[:i])
	for i < len(s) {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == '\\' && backslash: // so that an escape it writes reads as one
			b = append(b, `\\`...)
		case r == utf8.RuneError && size == 1:
			b = append(b, `\x`...)
			b = append(b, "0123456789abcdef"[s[i]>>4], "0123456789abcdef"[s[i]&15])
		case unicode.IsPrint(r):
			b = append(b, s[i:i+size]...)
		default:
			b = append(b, strings.Trim(strconv.QuoteRune(r), "'")...)
		}
		i += size
	}
	return string(b)
}
