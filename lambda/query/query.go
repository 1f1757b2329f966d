// Package query compiles CEL expressions over credential-report rows: the
// `--where` of `credaudit query` and the `where`/`assert` of custom rules.
//
// Every report column is a variable named as in the report, typed:
//
//   - user, arn: string;
//   - booleans (password_enabled, mfa_active, access_key_N_active,
//     cert_N_active): bool — a sentinel (root's password_enabled is
//     not_supported) reads as false;
//   - timestamps: timestamp, or null when the cell held a sentinel
//     (test with `x != null` before comparing);
//   - access_key_N_last_used_region/_service: string, or null for N/A.
//
// Also: raw (map of column name to the cell's text as written, unknown columns
// included), is_root (bool), account_id (string) and as_of (timestamp: the
// instant the report describes); and the function ageDays(t), the rules'
// ageDays: the whole days from t to as_of, never below 0.
package query

import (
	"cmp"
	"errors"
	"fmt"
	"regexp"
	"regexp/syntax"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common"
	celast "github.com/google/cel-go/common/ast"
	"github.com/google/cel-go/common/operators"
	"github.com/google/cel-go/common/overloads"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
	"github.com/google/cel-go/interpreter"

	"github.com/credaudit/credaudit/lambda/credreport"
	"github.com/credaudit/credaudit/lambda/internal/lazyre"
)

// Variables other than the report's columns.
const (
	VarRaw       = "raw"
	VarIsRoot    = "is_root"
	VarAccountID = "account_id"
	VarAsOf      = "as_of"
)

// OwnVariable reports whether name is one of the variables above, which a
// report column of that name (an unknown column of a file made by hand)
// would read as two things: `--columns is_root` the file's cells, an
// expression credaudit's own.
func OwnVariable(name string) bool {
	switch name {
	case VarRaw, VarIsRoot, VarAccountID, VarAsOf:
		return true
	}
	return false
}

// FuncAgeDays is ageDays(t): floor((as_of − t) / 24h), never below 0, as
// the built-in rules count a credential's age (credreport.WholeDays), so
// that a custom rule reads as the catalog does: `password_last_used !=
// null && ageDays(password_last_used) >= 90`. It is ageDays(t, as_of);
// ageDays(t, at) counts the days to another time.
const FuncAgeDays = "ageDays"

// env is built on first use: building it costs milliseconds that a run
// without expressions should not pay at start-up.
var env = sync.OnceValue(func() *cel.Env {
	opts := make([]cel.EnvOption, 0, len(credreport.Columns)+4)
	for _, c := range credreport.Columns {
		opts = append(opts, cel.Variable(c.Name, celType(c.Kind)))
	}
	opts = append(opts,
		cel.Variable(VarRaw, cel.MapType(cel.StringType, cel.StringType)),
		cel.Variable(VarIsRoot, cel.BoolType),
		cel.Variable(VarAccountID, cel.StringType),
		cel.Variable(VarAsOf, cel.TimestampType),
		cel.Macros(cel.GlobalMacro(FuncAgeDays, 1, func(eh cel.MacroExprFactory, _ celast.Expr, args []celast.Expr) (celast.Expr, *common.Error) {
			return eh.NewCall(FuncAgeDays, args[0], eh.NewIdent(VarAsOf)), nil
		})),
		cel.Function(FuncAgeDays, cel.Overload("ageDays_timestamp_timestamp", []*cel.Type{cel.TimestampType, cel.TimestampType}, cel.IntType,
			cel.BinaryBinding(func(t, at ref.Val) ref.Val {
				return types.Int(credreport.WholeDays(t.(types.Timestamp).Time, at.(types.Timestamp).Time))
			}))),
		// A bad literal (duration("365d"), timestamp("2026-01-01"),
		// user.matches("[")) is a compile error at the literal, instead
		// of an error of the program's, which CEL places nowhere.
		cel.ASTValidators(literalValidator{}),
	)
	e, err := cel.NewEnv(opts...)
	if err != nil {
		panic(fmt.Sprintf("query: CEL environment: %v", err)) // a programming error, found by every test
	}
	return e
})

func celType(k credreport.Kind) *cel.Type {
	switch k {
	case credreport.KindBool:
		return cel.BoolType
	case credreport.KindTime:
		return types.NewNullableType(cel.TimestampType)
	case credreport.KindOptText:
		return types.NewNullableType(cel.StringType)
	}
	return cel.StringType
}

// Expr is a compiled boolean expression over one report row.
type Expr struct {
	src  string
	name string
	at   string // where the expression is written ("credaudit.yaml:12"), or ""
	prg  cel.Program
	ast  *celast.AST // checked, to find what an evaluation error is about
	// bools are the boolean columns the expression reads, and partial the
	// program that evaluates it with those holding a sentinel unknown
	// (Decide); nil when it reads none.
	bools   []credreport.Column
	partial cel.Program
}

// CostLimit bounds an expression's work on one row, in CEL's cost units
// (about an operation each; some tens of nanoseconds): a comprehension
// nested over lists, which compiles, would otherwise run for hours over a
// report, and the function past its timeout with no alert. At the limit a
// row takes milliseconds, and the run fails naming the expression; an
// expression over a row's 22 columns costs hundreds.
const CostLimit = 100_000

// Compile compiles src, a CEL expression that must yield a bool. name says
// where the expression came from ("--where", "rules[2].assert") and starts
// every error, with the line and column inside the expression.
func Compile(name, src string) (*Expr, error) {
	return CompileAt(name, "", src)
}

// CompileAt is Compile for an expression written at at, a file and line
// ("credaudit.yaml:12"), which its errors on a row (RowError) name.
func CompileAt(name, at, src string) (*Expr, error) {
	if strings.TrimSpace(src) == "" {
		return nil, fmt.Errorf("%s: empty expression", name)
	}
	source := common.NewStringSource(src, name)
	parsed, iss := env().ParseSource(source)
	if iss.Err() != nil {
		return nil, compileError(name, source, iss.Errors())
	}
	if errs := lintLiterals(parsed.NativeRep()); len(errs) > 0 {
		return nil, compileError(name, source, errs)
	}
	ast, iss := env().Check(parsed)
	if iss.Err() != nil {
		return nil, compileError(name, source, iss.Errors())
	}
	if ast.OutputType() != cel.BoolType {
		return nil, fmt.Errorf("%s: expression yields %s, want bool", name, cel.FormatCELType(ast.OutputType()))
	}
	// Only a comprehension (all, exists, map, filter) can loop; without
	// one an expression's work is bounded by its size and the row's, and
	// is not tracked, which would triple its cost.
	var limit []cel.ProgramOption
	if len(celast.MatchDescendants(celast.NavigateAST(ast.NativeRep()), celast.KindMatcher(celast.ComprehensionKind))) > 0 {
		limit = append(limit, cel.CostLimit(CostLimit))
	}
	prg, err := env().Program(ast, append(limit, cel.EvalOptions(cel.OptOptimize))...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	x := &Expr{src: src, name: name, at: at, prg: prg, ast: ast.NativeRep()}
	for _, id := range celast.MatchDescendants(celast.NavigateAST(x.ast), celast.KindMatcher(celast.IdentKind)) {
		if c, ok := credreport.LookupColumn(id.AsIdent()); ok && c.Kind == credreport.KindBool && !slices.ContainsFunc(x.bools, func(b credreport.Column) bool { return b.Name == c.Name }) {
			x.bools = append(x.bools, c)
		}
	}
	if len(x.bools) > 0 {
		if x.partial, err = env().Program(ast, append(limit, cel.EvalOptions(cel.OptOptimize, cel.OptPartialEval))...); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
	}
	return x, nil
}

// CompileError is an expression that does not compile: each problem at its
// line and column in the expression.
type CompileError struct {
	Name     string
	Problems []Problem
}

// Problem is one reason an expression does not compile.
type Problem struct {
	// Line and Column are in the expression, from 1; columns count
	// characters. Both are 0 for a problem CEL places nowhere (a limit on
	// the expression's size or nesting).
	Line, Column int
	// Msg is the message, then the expression's line with a caret under
	// the column: "undeclared reference to 'nope' …\n | mfa && nope\n | .......^".
	Msg string
}

// Error is each problem on its own line as name:line:column: message.
func (e *CompileError) Error() string {
	var b strings.Builder
	for i, p := range e.Problems {
		if i > 0 {
			b.WriteByte('\n')
		}
		if p.Line == 0 {
			fmt.Fprintf(&b, "%s: %s", e.Name, p.Msg)
		} else {
			fmt.Fprintf(&b, "%s:%d:%d: %s", e.Name, p.Line, p.Column, p.Msg)
		}
	}
	return b.String()
}

func compileError(name string, source common.Source, errs []*common.Error) *CompileError {
	ce := &CompileError{Name: name}
	for _, e := range errs {
		line, col := e.Location.Line(), e.Location.Column()+1
		// CEL's display form, less its "ERROR: name:line:column: " prefix
		// and the container, which expressions here never have.
		msg := strings.TrimPrefix(e.ToDisplayString(source), fmt.Sprintf("ERROR: %s:%d:%d: ", name, line, col))
		// CEL places an undeclared function at its call's parenthesis.
		call := false
		if snippet, ok := source.Snippet(line); ok {
			r := []rune(snippet)
			call = col >= 1 && col <= len(r) && r[col-1] == '('
		}
		msg = strings.Replace(msg, " (in container '')", didYouMean(e.Message, call), 1)
		if line < 1 { // CEL's NoLocation, -1:-1
			line, col = 0, 0
		}
		ce.Problems = append(ce.Problems, Problem{Line: line, Column: col, Msg: msg})
	}
	slices.SortStableFunc(ce.Problems, func(a, b Problem) int { return cmp.Or(a.Line-b.Line, a.Column-b.Column) })
	return ce
}

// didYouMean is, for CEL's "undeclared reference to 'x'" about a name (in
// the empty container), the variables it may have meant: "; did you mean
// mfa_active?" for mfa_enabled or mfa_actve; as_of for now; when none is
// near, that a column the parser does not know is under raw. For a
// function's name (call) it is "".
func didYouMean(msg string, call bool) string {
	name, prefixed := strings.CutPrefix(msg, "undeclared reference to '")
	name, suffixed := strings.CutSuffix(name, "' (in container '')")
	if !prefixed || !suffixed || call {
		return ""
	}
	switch name {
	case "now", "today", "current_time", "now_time":
		return "; as_of is the time the report describes"
	}
	vars := append(credreport.ColumnNames(), VarRaw, VarIsRoot, VarAccountID, VarAsOf, "true", "false", "null")
	// Two typos in a short name would make it any other short name (age
	// is two from arn).
	typos := 2
	if len(name) < 6 {
		typos = 1
	}
	var near []string
	best := 0
	for _, v := range vars {
		score := sharedWords(name, v)
		if editDistance(name, v) <= typos {
			score = 100 // a typo
		}
		switch {
		case score == 0 || score < best:
		case score > best:
			best, near = score, []string{v}
		default:
			near = append(near, v)
		}
	}
	if len(near) == 0 || len(near) > 3 {
		return "; a column credaudit does not type is read as raw." + name
	}
	return "; did you mean " + strings.Join(near, " or ") + "?"
}

// sharedWords scores the words (split at '_') a and b share: 2 each, and
// 1 for a word many columns have.
func sharedWords(a, b string) int {
	n := 0
	for _, w := range strings.Split(a, "_") {
		if w == "" || !slices.Contains(strings.Split(b, "_"), w) {
			continue
		}
		switch w {
		case "last", "used", "date", "key", "access", "1", "2":
			n++
		default:
			n += 2
		}
	}
	return n
}

// editDistance is the Levenshtein distance between a and b, in bytes
// (infra has its own copy: it does not import lambda).
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}

// durationShape is a duration as Go writes one, whatever its size.
var durationShape = lazyre.New(`^[-+]?([0-9]*(\.[0-9]*)?(h|m|s|ms|us|µs|ns))+$`)

// literalValidator refuses, at the literal, a string literal that a
// duration, a timestamp or a pattern cannot be, saying how to write it:
// the last argument of duration(s), timestamp(s), s.matches(p) and
// matches(s, p).
type literalValidator struct{}

func (literalValidator) Name() string { return "credaudit.validator.literals" }

func (literalValidator) Validate(_ *cel.Env, _ cel.ValidatorConfig, a *celast.AST, iss *cel.Issues) {
	for _, call := range celast.MatchDescendants(celast.NavigateAST(a), celast.KindMatcher(celast.CallKind)) {
		args := call.AsCall().Args()
		if len(args) == 0 || args[len(args)-1].Kind() != celast.LiteralKind {
			continue
		}
		arg := args[len(args)-1]
		lit, ok := arg.AsLiteral().Value().(string)
		if !ok {
			continue
		}
		switch call.AsCall().FunctionName() {
		case overloads.TypeConvertDuration:
			switch {
			case !types.IsError(types.String(lit).ConvertToType(types.DurationType)):
			case durationShape().MatchString(lit):
				iss.ReportErrorAtID(arg.ID(), "duration %q is out of range: a duration is at most 2562047h (about 292 years)", lit)
			default:
				iss.ReportErrorAtID(arg.ID(), "duration %q is not a duration: write a number and a unit (h, m, s, ms, us or ns), such as \"2160h\" for 90 days; CEL has no unit of days", lit)
			}
		case overloads.TypeConvertTimestamp:
			if types.IsError(types.String(lit).ConvertToType(types.TimestampType)) {
				iss.ReportErrorAtID(arg.ID(), "timestamp %q is not a timestamp: write an RFC 3339 time with its zone, such as \"2026-01-01T00:00:00Z\"", lit)
			}
		case overloads.Matches:
			var se *syntax.Error
			if _, err := regexp.Compile(lit); errors.As(err, &se) {
				iss.ReportErrorAtID(arg.ID(), "pattern %q is not an RE2 regular expression: %s", lit, se.Code)
			}
		}
	}
}

// lintLiterals finds, in a parsed expression, the comparisons (==, !=, <,
// <=, >, >= and in) of a column with a literal that the column's type cannot hold, and
// says how to write each: a typed column holds null, never "N/A", where the
// report writes a sentinel, so access_key_1_last_used_service == "N/A",
// which CEL checks as two strings, would never hold, and != always; a
// timestamp column is compared with timestamp("…"); a boolean column holds
// true or false, never "false" or null. CEL would let the first pass, and
// name only the types of the others.
func lintLiterals(a *celast.AST) []*common.Error {
	var errs []*common.Error
	for _, n := range celast.MatchDescendants(celast.NavigateAST(a), celast.KindMatcher(celast.CallKind)) {
		call := n.AsCall()
		args := call.Args()
		if len(args) != 2 {
			continue
		}
		pairs := [][2]celast.Expr{{args[0], args[1]}, {args[1], args[0]}}
		switch call.FunctionName() {
		case operators.Equals, operators.NotEquals, operators.Less, operators.LessEquals, operators.Greater, operators.GreaterEquals:
		case operators.In: // column in [literals]
			if args[1].Kind() != celast.ListKind {
				continue
			}
			pairs = pairs[:0]
			for _, el := range args[1].AsList().Elements() {
				pairs = append(pairs, [2]celast.Expr{args[0], el})
			}
		default:
			continue
		}
		for _, p := range pairs {
			col, lit := p[0], p[1]
			if col.Kind() != celast.IdentKind || lit.Kind() != celast.LiteralKind {
				continue
			}
			c, ok := credreport.LookupColumn(col.AsIdent())
			if !ok || bound(n, c.Name) {
				continue
			}
			if msg := literalMismatch(c, lit.AsLiteral()); msg != "" {
				errs = append(errs, common.NewError(lit.ID(), msg, a.SourceInfo().GetStartLocation(lit.ID())))
			}
		}
	}
	return errs
}

// bound reports whether name is, at n, a loop's variable (all, exists, map,
// filter), not the column.
func bound(n celast.NavigableExpr, name string) bool {
	for p, ok := n.Parent(); ok; p, ok = p.Parent() {
		if p.Kind() == celast.ComprehensionKind {
			if c := p.AsComprehension(); c.IterVar() == name || c.IterVar2() == name || c.AccuVar() == name {
				return true
			}
		}
	}
	return false
}

// literalMismatch says how to write a comparison of column c with literal
// v, when c's type cannot hold it; "" when it can.
func literalMismatch(c credreport.Column, v ref.Val) string {
	s, isString := v.Value().(string)
	_, sentinel := credreport.Sentinel(s)
	switch {
	case c.Kind == credreport.KindBool && v == types.NullValue:
		return fmt.Sprintf("%s is a bool, never null: a sentinel in it (root's password_enabled is not_supported) reads as false; raw.%s is the cell as written", c.Name, c.Name)
	case c.Kind == credreport.KindBool && sentinel:
		return fmt.Sprintf("%s is a bool, and reads %s as false: raw.%s == %q is the cell as written", c.Name, s, c.Name, s)
	case c.Kind == credreport.KindBool && isString:
		return fmt.Sprintf("%s is a bool: write %s or !%s", c.Name, c.Name, c.Name)
	case (c.Kind == credreport.KindTime || c.Kind == credreport.KindOptText) && sentinel:
		return fmt.Sprintf("%s reads %s as null: write %s == null, or raw.%s == %q for the cell as written", c.Name, s, c.Name, c.Name, s)
	case c.Kind == credreport.KindTime && isString:
		return fmt.Sprintf("%s is a timestamp: compare it with timestamp(%q)", c.Name, s)
	}
	return ""
}

// String returns the expression's source.
func (x *Expr) String() string { return x.src }

// Row is what an expression sees: a report row, its account and the report's
// as-of time.
type Row struct {
	Entry     *credreport.Entry
	AccountID string
	AsOf      time.Time
}

// Eval evaluates the expression on one row. An evaluation error (comparing a
// null timestamp, say) names the row's line and user.
func (x *Expr) Eval(r Row) (bool, error) {
	out, _, err := x.prg.Eval(activation{r})
	return x.result(r, out, err)
}

// result is an evaluation's bool, or its error on r's row.
func (x *Expr) result(r Row, out ref.Val, err error) (bool, error) {
	if err != nil {
		hint := x.nullHint(r.Entry, err) + x.rawHint(r.Entry, err)
		if cancelled, ok := errors.AsType[interpreter.EvalCancelledError](err); ok && cancelled.Cause == interpreter.CostLimitExceeded {
			hint = fmt.Sprintf(" (an expression may take %d steps on a row: loop over less)", CostLimit)
		}
		return false, &RowError{Expr: x.name, At: x.at, Line: r.Entry.Line, User: r.Entry.User, Err: err, Hint: hint}
	}
	b, ok := out.Value().(bool)
	if !ok {
		return false, &RowError{Expr: x.name, At: x.at, Line: r.Entry.Line, User: r.Entry.User, Err: fmt.Errorf("result %v is not a bool", out)}
	}
	return b, nil
}

// Decide is Eval for a verdict, which a sentinel must not decide: a boolean
// column holding one (root's password_enabled is not_supported) reads
// false in Eval, as in a query's --where, but here it is unknown, and when
// the result may hinge on it, Decide returns undecided, which says what the
// report holds instead of the booleans the expression reads
// ("password_enabled is not_supported"), and no result. A result that
// plainly does not hinge on it (`mfa_active || !password_enabled` with MFA
// active) is returned as Eval would. CEL's partial evaluation decides what
// may hinge: it can leave undecided a result that cannot depend on the
// cell (`password_enabled ? true : true`), or one that would be an error
// (an unguarded null beside it).
func (x *Expr) Decide(r Row) (holds bool, undecided string, err error) {
	if !x.ReadsSentinel(r.Entry) {
		holds, err = x.Eval(r)
		return holds, "", err
	}
	var unknown []*interpreter.AttributePattern
	var held []string
	for _, c := range x.bools {
		if s := c.Value(r.Entry).State(); s != credreport.Set {
			unknown = append(unknown, cel.AttributePattern(c.Name))
			held = append(held, c.Name+" is "+s.String())
		}
	}
	vars, err := cel.PartialVars(activation{r}, unknown...)
	if err != nil {
		return false, "", err
	}
	out, _, err := x.partial.Eval(vars)
	if err == nil && types.IsUnknown(out) {
		return false, strings.Join(held, ", "), nil
	}
	holds, err = x.result(r, out, err)
	return holds, "", err
}

// ReadsSentinel reports whether the expression reads a boolean cell of e
// that holds a sentinel: whether Decide may leave it undecided on e.
func (x *Expr) ReadsSentinel(e *credreport.Entry) bool {
	for _, c := range x.bools {
		if c.Value(e).State() != credreport.Set {
			return true
		}
	}
	return false
}

// nullHint says, when err is an operation CEL has no overload for and one
// of the operation's operands is a column that is null on the row, which
// column, and how to guard it: " (password_last_used is null on this row,
// where the report holds no_information: guard it with `password_last_used
// != null && …`)". It is empty otherwise: an operand that is not null, or
// not a column, is not the null's doing (`dyn(mfa_active) + 1`).
func (x *Expr) nullHint(e *credreport.Entry, err error) string {
	if !strings.HasPrefix(err.Error(), "no such overload") {
		return ""
	}
	n, ok := x.failedAt(err)
	if !ok || n.Kind() != celast.CallKind {
		return ""
	}
	call := n.AsCall()
	operands := call.Args()
	if call.IsMemberFunction() {
		operands = append([]celast.Expr{call.Target()}, operands...)
	}
	for _, op := range operands {
		if op.Kind() != celast.IdentKind {
			continue
		}
		c, ok := credreport.LookupColumn(op.AsIdent())
		if !ok || c.Kind != credreport.KindTime && c.Kind != credreport.KindOptText {
			continue
		}
		if s := c.Value(e).State(); s != credreport.Set {
			return fmt.Sprintf(" (%s is null on this row, where the report holds %s: guard it with `%s != null && …`)", c.Name, s, c.Name)
		}
	}
	return ""
}

// failedAt is the node of the expression an evaluation error err is about,
// when CEL says which.
func (x *Expr) failedAt(err error) (celast.NavigableExpr, bool) {
	var ce *types.Err
	if !errors.As(err, &ce) || ce.NodeID() == 0 {
		return nil, false
	}
	found := celast.MatchDescendants(celast.NavigateAST(x.ast), func(n celast.NavigableExpr) bool { return n.ID() == ce.NodeID() })
	if len(found) == 0 {
		return nil, false
	}
	return found[0], true
}

// rawHint says, when err is raw's lookup of a key the row does not have
// (raw.pasword_last_used, raw["team"]), that the report has no such column,
// and which it may have meant: " (the report has no column
// pasword_last_used; did you mean password_last_used?)". It is empty
// otherwise.
func (x *Expr) rawHint(e *credreport.Entry, err error) string {
	n, ok := x.failedAt(err)
	if !ok {
		return ""
	}
	var on celast.Expr
	var key string
	switch n.Kind() {
	case celast.SelectKind:
		on, key = n.AsSelect().Operand(), n.AsSelect().FieldName()
	case celast.CallKind:
		if args := n.AsCall().Args(); n.AsCall().FunctionName() == operators.Index && len(args) == 2 && args[1].Kind() == celast.LiteralKind {
			on = args[0]
			key, _ = args[1].AsLiteral().Value().(string)
		}
	}
	if on == nil || on.Kind() != celast.IdentKind || on.AsIdent() != VarRaw || bound(n, VarRaw) || key == "" || slices.Contains(e.Header(), key) {
		return ""
	}
	var near []string
	for _, c := range e.Header() {
		if editDistance(key, c) <= 2 {
			near = append(near, c)
		}
	}
	hint := " (the report has no column " + key
	if len(near) > 0 && len(near) <= 3 {
		hint += "; did you mean " + strings.Join(near, " or ") + "?"
	}
	return hint + ")"
}

// RowError is an expression's failure on one row of the report, which it
// names by line and user. CEL's own message (Err) may quote the row's
// values unquoted ("no such key: bob").
type RowError struct {
	Expr string // the expression's name, as Compile was given it
	At   string // where the expression is written (CompileAt), or ""
	// Report names the report the line is in (its file, set by whoever
	// read it); "" for "the report".
	Report string
	Line   int
	User   string
	Err    error
	Hint   string // what to do, or ""
}

func (e *RowError) Error() string {
	expr, report := e.Expr, e.Report
	if e.At != "" {
		expr += " (" + e.At + ")"
	}
	if report == "" {
		report = "the report"
	}
	return fmt.Sprintf("%s on line %d of %s (user %q): %v%s", expr, e.Line, report, e.User, e.Err, e.Hint)
}

func (e *RowError) Unwrap() error { return e.Err }

// Filter returns the rows of t for which x holds, in order.
func (x *Expr) Filter(t credreport.Table, accountID string, asOf time.Time) (credreport.Table, error) {
	var out credreport.Table
	for _, e := range t {
		ok, err := x.Eval(Row{Entry: e, AccountID: accountID, AsOf: asOf})
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, e)
		}
	}
	return out, nil
}

// activation resolves variables lazily, so a row costs only what the
// expression reads.
type activation struct{ r Row }

func (a activation) ResolveName(name string) (any, bool) {
	switch name {
	case VarIsRoot:
		return types.Bool(a.r.Entry.IsRoot()), true
	case VarAccountID:
		return types.String(a.r.AccountID), true
	case VarAsOf:
		return types.Timestamp{Time: a.r.AsOf}, true
	case VarRaw:
		names, raw := a.r.Entry.Header(), a.r.Entry.Raw()
		m := make(map[string]string, len(names))
		for i, n := range names {
			m[n] = raw[i]
		}
		return m, true
	}
	v, ok := a.r.Entry.Value(name)
	if !ok {
		return nil, false
	}
	return CELValue(v), true
}

func (activation) Parent() interpreter.Activation { return nil }

// CELValue converts a typed cell to what expressions see: booleans as bool
// (a sentinel reads false), timestamps and optional text as null when the cell
// held a sentinel. The values are CEL's own, which it takes as they are
// instead of converting a Go value on every read.
func CELValue(v credreport.Value) ref.Val {
	switch {
	case v.Kind == credreport.KindBool:
		return types.Bool(v.Bool.True())
	case v.Kind == credreport.KindText:
		return types.String(v.Text.S)
	case v.State() != credreport.Set:
		return types.NullValue
	case v.Kind == credreport.KindTime:
		return types.Timestamp{Time: v.Time.T()}
	}
	return types.String(v.Text.S)
}
