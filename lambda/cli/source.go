package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/credaudit/credaudit/lambda/audit"
	"github.com/credaudit/credaudit/lambda/credreport"
	"github.com/credaudit/credaudit/lambda/query"
	"github.com/credaudit/credaudit/lambda/rules"
)

// source is where a command reads its report: a file, stdin or the live account.
type source struct {
	report     string
	awsProfile string
	region     string
	asOf       string
	// publishes is scan --publish: the AWS profile and region then
	// choose its credentials and home region, whatever the report's source.
	// canPublish says the command has --publish (scan, not query).
	publishes, canPublish bool
	// alias asks for the live account's alias too: scan --state's digest
	// names the account by it, as the function's does.
	alias bool
	// accountEffect is what the selected rules do without the live
	// account's root facts (audit.AccountFactsEffect); "" when none reads
	// them, and they are not read.
	accountEffect string
}

// live reports whether the report comes from the live account (no --report).
func (s *source) live() bool { return s.report == "" }

// register adds the input flags; awsProfileFlag names the AWS profile flag
// ("profile" in query, "aws-profile" in scan, where --profile is the rule profile).
func (s *source) register(fs *flag.FlagSet, awsProfileFlag string) {
	fs.StringVar(&s.report, "report", "", "credential report `FILE`: the CSV, or the JSON of 'aws iam get-credential-report'; - reads stdin; unset reads the live account")
	fs.StringVar(&s.awsProfile, awsProfileFlag, "", "AWS shared-config `profile` for the live account (default: the default credential chain)")
	fs.StringVar(&s.region, "region", "", "AWS `region` for the live account's API calls")
	fs.StringVar(&s.asOf, "as-of", "", "evaluate as of this RFC 3339 `time`, 1995 or later (default: the report's generation time, or now for a bare CSV)")
}

// loaded is a report with the instant it describes.
type loaded struct {
	report *credreport.Report
	asOf   time.Time
	// name is what a custom rule's or --where's error on a row calls the
	// report its line is in: the file, "stdin", "the report in FILE" for
	// the JSON of get-credential-report (the line is of its Content), ""
	// for the live account's.
	name string
	// contentLine is, for a report file of get-credential-report JSON, the
	// line its Content is on, where SARIF places every result: the rows'
	// own lines are of the decoded CSV, which is not the file. 0 for a
	// CSV, stdin and the live account.
	contentLine int
	// account holds facts beyond the report (live only, when a selected
	// rule reads them: source.accountEffect); nil with accountErr saying
	// why when they could not be read.
	account    *rules.Account
	accountErr error
	// alias is the live account's alias when asked for (source.alias); ""
	// when it has none, or could not be read.
	alias string
	// note is what the command says on stderr about the input, or "".
	note string
}

func (s *source) load(ctx context.Context, in io.Reader) (*loaded, error) {
	var asOf time.Time
	if s.asOf != "" {
		t, err := credreport.ParseRFC3339(s.asOf)
		if err != nil {
			return nil, usageErr("--as-of %q is not an RFC 3339 time (e.g. 2026-11-20T06:00:00Z)", s.asOf)
		}
		if why := credreport.OutOfRange(t); why != "" {
			return nil, usageErr("--as-of %s %s", s.asOf, why)
		}
		asOf = t.UTC()
	}
	l := &loaded{}
	if !s.live() && !s.publishes && (s.awsProfile != "" || s.region != "") {
		also := ""
		if s.canPublish {
			also = " (and to --publish)"
		}
		return nil, usageErr("the AWS profile and --region apply to the live account%s, not to --report %s", also, s.report)
	}
	switch {
	case s.live():
		var err error
		if l, err = s.fetch(ctx); err != nil {
			return nil, err
		}
	case s.report == "-":
		data, err := readString(in, 0)
		if err != nil {
			return nil, usageErr("read stdin: %v", err)
		}
		if l.report, err = readReport("stdin", data); err != nil {
			return nil, err
		}
		l.name = "stdin"
	default:
		data, err := readFileString(s.report)
		if err != nil {
			return nil, usageErr("--report: %v", err)
		}
		if l.report, err = readReport(s.report, data); err != nil {
			return nil, err
		}
		l.name, l.contentLine = s.report, l.report.ContentLine
	}
	rep := l.report
	if s.asOf == "" {
		asOf = rep.GeneratedTime
		if asOf.IsZero() { // a bare CSV
			asOf = time.Now().UTC().Truncate(time.Second) // as the report writes its times
		}
	}
	if l.name != "" && !rep.GeneratedTime.IsZero() {
		l.name = "the report in " + l.name
	}
	l.asOf = asOf
	// The rules' ages are never below 0, so what the report saw after
	// as_of reads as less than a day old, not as the future it is; an
	// expression's as_of - t is negative. So for --as-of, and for a report
	// file whose own time (GeneratedTime, or now for a bare CSV) comes
	// before what it records: edited, or a clock behind.
	at, label := s.asOf, "--as-of "+s.asOf
	switch {
	case s.asOf != "":
	case !rep.GeneratedTime.IsZero():
		at = asOf.Format(time.RFC3339)
		label = "the report's GeneratedTime " + at
	default:
		at = asOf.Format(time.RFC3339)
		label = "now (" + at + "; a bare CSV records no time of its own)"
	}
	after := "what it records after " + at + " counts as less than a day old"
	if !s.canPublish {
		after = "as_of - t is negative for a time it records after " + at
	}
	if s.asOf != "" && asOf.Before(rep.GeneratedTime) {
		l.note = fmt.Sprintf("--as-of %s is before the report was generated (%s): %s", s.asOf, rep.GeneratedTime.UTC().Format(time.RFC3339), after)
	} else if user, column, t, ok := latestRecorded(rep); ok && t.After(asOf) && (s.asOf != "" || !s.live()) {
		// IAM's own report, read live, is taken at its word (moto's is
		// dated 2015, whatever it records).
		l.note = fmt.Sprintf("%s is before times the report records (the latest, %s's %s, %s): %s",
			label, terminalSafe(user), column, t.Format(time.RFC3339), after)
	}
	return l, nil
}

// latestRecorded is the latest time rep records a thing done, its row's
// user and its column: every time column's but password_next_rotation,
// which is a time to come. ok is false when rep records none.
func latestRecorded(rep *credreport.Report) (user, column string, latest time.Time, ok bool) {
	var last credreport.Time
	for _, e := range rep.Table() {
		for _, c := range [...]struct {
			name string
			t    credreport.Time
		}{
			{credreport.ColUserCreationTime, e.UserCreationTime}, {credreport.ColPasswordLastUsed, e.PasswordLastUsed},
			{credreport.ColPasswordLastChanged, e.PasswordLastChanged},
			{credreport.ColAccessKey1LastRotated, e.AccessKeys[0].LastRotated}, {credreport.ColAccessKey1LastUsedDate, e.AccessKeys[0].LastUsedDate},
			{credreport.ColAccessKey2LastRotated, e.AccessKeys[1].LastRotated}, {credreport.ColAccessKey2LastUsedDate, e.AccessKeys[1].LastUsedDate},
			{credreport.ColCert1LastRotated, e.Certs[0].LastRotated}, {credreport.ColCert2LastRotated, e.Certs[1].LastRotated},
		} {
			if c.t.State == credreport.Set && (!ok || c.t.After(last)) {
				user, column, last, ok = e.User, c.name, c.t, true
			}
		}
	}
	return user, column, last.T(), ok
}

// named is err with the report named in its failure on a row, if it has
// one (query.RowError). The errors around it wrote its text when they
// wrapped it, so the text is written again.
func (l *loaded) named(err error) error {
	re := (*query.RowError)(nil)
	if !errors.As(err, &re) || re.Report != "" || l.name == "" {
		return err
	}
	before := re.Error()
	re.Report = l.name
	return &renamed{msg: strings.Replace(err.Error(), before, re.Error(), 1), err: err}
}

// renamed is an error told again in other words (loaded.named).
type renamed struct {
	msg string
	err error
}

func (r *renamed) Error() string { return r.msg }
func (r *renamed) Unwrap() error { return r.err }

// readReport parses the report file called name ("stdin" for standard
// input); an input error names it. A GeneratedTime before any credential
// report is refused as --as-of is: taken as the as-of time, it would make
// every credential look unused.
func readReport(name, data string) (*credreport.Report, error) {
	rep, err := credreport.ReadString(data)
	if err != nil {
		return nil, usageErr("%s: %v", name, err)
	}
	if why := credreport.OutOfRange(rep.GeneratedTime); why != "" && !rep.GeneratedTime.IsZero() { // zero: a bare CSV
		return nil, usageErr("%s: GeneratedTime %s %s", name, rep.GeneratedTime.Format(time.RFC3339), why)
	}
	for i, col := range rep.Header {
		if query.OwnVariable(col) {
			return nil, usageErr("%s: the header's field %d is a column named %s, which is also credaudit's own variable: --columns would print the file's cells and an expression read credaudit's; rename the column (IAM's report has none of that name)", name, i+1, col)
		}
	}
	return rep, nil
}

// fetch reads the live account's report through the default credential chain
// (an error carries its exit code: usage, or AWS), the account facts when a
// selected rule needs them (a failure there is kept as loaded.accountErr,
// not returned as a failure of the run), and its alias when s.alias asks.
// load fills in the rest of loaded.
func (s *source) fetch(ctx context.Context) (*loaded, error) {
	cfg, err := awsConfig(ctx, s)
	if err != nil {
		return nil, err
	}
	if cfg.Region == "" {
		cfg.Region = "us-east-1" // IAM is global; the SDK only needs a region to sign
	}
	if _, hasDeadline := ctx.Deadline(); !hasDeadline {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, 5*time.Minute)
		defer cancel()
	}
	client := iam.NewFromConfig(cfg)
	f := &credreport.Fetcher{Client: client}
	rep, err := f.Report(ctx)
	if err != nil {
		return nil, &exitError{ExitAWS, err}
	}
	l := &loaded{report: rep}
	if s.accountEffect != "" {
		l.account, l.accountErr = audit.ReadAccount(ctx, client, rep)
	}
	if s.alias {
		l.alias = audit.ReadAlias(ctx, client, nil)
	}
	if err := ctx.Err(); err != nil {
		// Interrupted (or out of time) while reading the account facts
		// or alias: the run ends as one cut short, not as a scan with
		// ROOT-03 undecided.
		return nil, &exitError{ExitAWS, fmt.Errorf("read the account facts: %w", context.Cause(ctx))}
	}
	return l, nil
}

// maxReport bounds a report read from a file or stdin. IAM's at most 5,000
// users make a few MB; anything past this is not a credential report (a
// wrong file, an endless stream), which was read whole until memory ran
// out. A variable so a test can lower it.
var maxReport = 256 << 20

// readFileString is os.ReadFile into a string, for credreport.ReadString:
// the report's cells point into the one copy of the file.
func readFileString(name string) (string, error) {
	f, err := os.Open(name)
	if err != nil {
		return "", err
	}
	defer f.Close()
	size := 0
	if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() {
		if fi.Size() > int64(maxReport) {
			return "", fmt.Errorf("%s: %w", name, tooLarge())
		}
		size = int(fi.Size())
	}
	s, err := readString(f, size)
	if errors.Is(err, errTooLarge) {
		return "", fmt.Errorf("%s: %w", name, err)
	}
	return s, err
}

var errTooLarge = errors.New("more than any credential report holds")

func tooLarge() error { return fmt.Errorf("larger than %d bytes, %w", maxReport, errTooLarge) }

// readString reads r to the end into a string (io.ReadAll without the copy
// a conversion to string makes), expecting about size bytes; past
// maxReport bytes it stops with errTooLarge. Without a size (a pipe) it
// reads in parts (readPipe).
func readString(r io.Reader, size int) (string, error) {
	if size <= 0 {
		return readPipe(r)
	}
	var b strings.Builder
	b.Grow(size)
	if _, err := io.Copy(&b, io.LimitReader(r, int64(maxReport)+1)); err != nil {
		return "", err
	}
	if b.Len() > maxReport {
		return "", tooLarge()
	}
	return b.String(), nil
}

// readPipe is readString for input of unknown size: it reads parts of
// 64 KB, doubling to at most 8 MB and never past maxReport+1 bytes in all,
// and joins them once. A slice grown as it filled would allocate some five
// times what it reads, over a gigabyte for input cut off at maxReport.
func readPipe(r io.Reader) (string, error) {
	var parts [][]byte
	n, next := 0, 64<<10
	for n <= maxReport {
		p := make([]byte, min(next, maxReport+1-n))
		k, err := io.ReadFull(r, p)
		parts, n = append(parts, p[:k]), n+k
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			break
		}
		if err != nil {
			return "", err
		}
		next = min(2*next, 8<<20)
	}
	if n > maxReport {
		return "", tooLarge()
	}
	var b strings.Builder
	b.Grow(n)
	for _, p := range parts {
		b.Write(p)
	}
	return b.String(), nil
}
