// Package config reads credaudit's configuration file: the rule profile, rules
// enabled or disabled, thresholds, suppressions and custom rules. See
// events/credaudit.example.yaml for a commented example.
//
// The file is checked strictly: an unknown key, a bad value or a CEL
// expression that does not compile is an error naming the file, line and
// column, and nothing is evaluated. A YAML syntax error names the file and
// the line only: yaml.v3 gives no column.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"gopkg.in/yaml.v3"

	"github.com/credaudit/credaudit/lambda/credreport"
	"github.com/credaudit/credaudit/lambda/internal/lazyre"
	"github.com/credaudit/credaudit/lambda/publish"
	"github.com/credaudit/credaudit/lambda/query"
	"github.com/credaudit/credaudit/lambda/rules"
)

// Config is a validated configuration.
type Config struct {
	Source       string
	Profile      string          // empty: rules.DefaultProfile
	Enabled      map[string]bool // rule ID → explicitly enabled (true) or disabled (false)
	Thresholds   map[string]map[string]int
	Suppressions []rules.Suppression
	Custom       []*rules.Rule

	// thresholdAt is where each rule's threshold is set, "file:line".
	thresholdAt map[string]string
}

// Error is a configuration error at a position in the file.
type Error struct {
	File         string
	Line, Column int
	Msg          string
}

// Error formats e as "file:line:column: msg", "file:line: msg" without a
// column (a YAML syntax error) or "file: msg" without a line.
func (e *Error) Error() string {
	switch {
	case e.Line == 0:
		return fmt.Sprintf("%s: %s", e.File, e.Msg)
	case e.Column == 0:
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Line, e.Column, e.Msg)
}

type parser struct {
	file  string
	data  []byte // the file, for placing errors inside expressions
	lines []span // data's lines, found on the first such error
	// declared are the IDs custom_rules declares, read before the rest so
	// that rules and suppressions may name a custom rule declared after
	// them.
	declared map[string]bool
}

func (p *parser) errf(n *yaml.Node, format string, args ...any) error {
	e := &Error{File: p.file, Msg: fmt.Sprintf(format, args...)}
	if n != nil {
		e.Line, e.Column = n.Line, n.Column
	}
	return e
}

// MaxSize is the largest configuration read, in bytes: a few hundred times
// the commented example. A larger file is refused rather than parsed.
const MaxSize = 1 << 20

// ReadFile reads and parses the configuration file name, refusing one
// larger than MaxSize without reading the rest of it (a wrong path such
// as a report, or /dev/zero).
func ReadFile(name string) (*Config, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxSize+1))
	if err != nil {
		return nil, err
	}
	if len(data) > MaxSize {
		return nil, fmt.Errorf("%s: larger than %d bytes, more than a configuration holds", name, MaxSize)
	}
	return Parse(name, data)
}

// Parse reads a configuration file's contents; file names it in errors.
func Parse(file string, data []byte) (*Config, error) {
	p := &parser{file: file, data: data}
	doc, second, err := documents(bytes.NewReader(data))
	switch {
	case err != nil:
		return nil, p.syntaxError(err)
	case second != nil:
		return nil, p.secondDocument(second)
	}
	c := &Config{Source: file, Enabled: map[string]bool{}, Thresholds: map[string]map[string]int{}}
	if len(doc.Content) == 0 || blank(doc.Content[0]) {
		// An empty file (or only a document marker, ---, and comments) is
		// the defaults; Notes says so.
		return c, nil
	}
	root := doc.Content[0]
	if err := p.plainYAML(root, ""); err != nil {
		return nil, err
	}
	p.declared = declaredIDs(root)
	err = p.mapping(root, "the configuration", map[string]func(*yaml.Node) error{
		"profile": func(v *yaml.Node) error {
			s, err := p.str(v, "profile")
			if err != nil {
				return err
			}
			if _, err := rules.Profile(s); err != nil {
				return p.errf(v, "%v", err)
			}
			c.Profile = s
			return nil
		},
		// A section with nothing under it (every entry commented out)
		// is empty.
		"rules":        func(v *yaml.Node) error { return p.section(v, c, p.rules) },
		"suppressions": func(v *yaml.Node) error { return p.section(v, c, p.suppressions) },
		"custom_rules": func(v *yaml.Node) error { return p.section(v, c, p.customRules) },
	})
	if err != nil {
		return nil, err
	}
	return c, nil
}

// section reads a section with parse unless nothing is written in it.
func (p *parser) section(v *yaml.Node, c *Config, parse func(*yaml.Node, *Config) error) error {
	if blank(v) {
		return nil
	}
	return parse(v, c)
}

// blank reports whether n is a value with nothing written: a key with
// nothing after its colon, or a document of only its marker. An explicit
// null (~, null) is not blank.
func blank(n *yaml.Node) bool { return n.Kind == yaml.ScalarNode && n.Tag == "!!null" && n.Value == "" }

// declaredIDs returns the id of every custom rule the configuration
// declares, valid or not: custom_rules is checked in its turn.
func declaredIDs(root *yaml.Node) map[string]bool {
	ids := map[string]bool{}
	if root.Kind != yaml.MappingNode {
		return ids
	}
	for i := 0; i+1 < len(root.Content); i += 2 {
		if root.Content[i].Value != "custom_rules" || root.Content[i+1].Kind != yaml.SequenceNode {
			continue
		}
		for _, item := range root.Content[i+1].Content {
			for j := 0; item.Kind == yaml.MappingNode && j+1 < len(item.Content); j += 2 {
				if item.Content[j].Value == "id" && item.Content[j+1].Kind == yaml.ScalarNode {
					ids[item.Content[j+1].Value] = true
				}
			}
		}
	}
	return ids
}

// documents decodes r's first YAML document (empty when r holds none) and
// the one after it, nil when there is none.
func documents(r io.Reader) (first, second *yaml.Node, err error) {
	dec := yaml.NewDecoder(r)
	first, second = new(yaml.Node), new(yaml.Node)
	if err := dec.Decode(first); errors.Is(err, io.EOF) {
		return first, nil, nil
	} else if err != nil {
		return nil, nil, err
	}
	if err := dec.Decode(second); errors.Is(err, io.EOF) {
		return first, nil, nil
	} else if err != nil {
		return nil, nil, err
	}
	return first, second, nil
}

// secondDocument is the error of a file with a second YAML document (after
// "---"), which yaml.Unmarshal would ignore, whatever it holds.
func (p *parser) secondDocument(doc *yaml.Node) error {
	return p.errf(doc, "a second YAML document starts here; a configuration is one document")
}

// coreTags are the tags a configuration's values may carry, written or
// resolved: YAML's core schema, whose values the walk reads from their text.
// Any other (a local !name, a verbatim !<…>, !!binary, whose text is not its
// value) would be read as if it were not there.
var coreTags = map[string]bool{
	"!!str": true, "!!int": true, "!!bool": true, "!!null": true, "!!float": true,
	"!!map": true, "!!seq": true, "!!timestamp": true,
}

// plainYAML refuses the first anchor (&name) under n, and so every alias
// (*name), which yaml.v3 accepts only after its anchor: the walk reads each
// value where it is written, and in a file this small a value written out at
// each use is plainer. It refuses the first tag outside coreTags too; key
// is the key n is the value of, "" for none.
func (p *parser) plainYAML(n *yaml.Node, key string) error {
	if n.Anchor != "" {
		return p.errf(n, "anchor &%s: anchors and aliases are not supported in the configuration; write the value out at each use", n.Anchor)
	}
	if !coreTags[n.Tag] {
		tag := n.Tag
		if !strings.HasPrefix(tag, "!") {
			tag = "!<" + tag + ">" // as written: yaml.v3 keeps a verbatim tag's URI
		}
		return p.errf(n, "tag %s: the configuration takes plain values (strings, numbers, true or false, lists and mappings), not tagged ones%s", tag, negationHint(n, key))
	}
	for i, c := range n.Content {
		key := ""
		if n.Kind == yaml.MappingNode && i%2 == 1 {
			key = n.Content[i-1].Value
		}
		if err := p.plainYAML(c, key); err != nil {
			return err
		}
	}
	return nil
}

// exprKeys are the keys whose values are CEL expressions.
var exprKeys = map[string]bool{"where": true, "assert": true}

// negationHint is what to do when n, a tagged value of key, is a CEL
// expression's negation (assert: !password_enabled), whose leading ! YAML
// reads as a tag: the expression quoted, when it can be written back from
// the tag and the plain text after it; "" for a value of another key.
func negationHint(n *yaml.Node, key string) string {
	if !exprKeys[key] || n.Kind != yaml.ScalarNode || !strings.HasPrefix(n.Tag, "!") {
		return ""
	}
	quoted := ""
	if expr := strings.TrimSpace(n.Tag + " " + n.Value); n.Style&^yaml.TaggedStyle == 0 && !strings.ContainsAny(expr, "\n\r") {
		switch {
		case !strings.Contains(expr, "'"):
			quoted = " (" + key + ": '" + expr + "')"
		case !strings.ContainsAny(expr, `"\`):
			quoted = " (" + key + `: "` + expr + `")`
		}
	}
	return quoteHint(key, quoted)
}

// quoteHint says to quote key's value if it is a CEL expression, as
// example (" (assert: '!x')", or "") writes it.
func quoteHint(key, example string) string {
	return fmt.Sprintf("; if %s is a CEL expression, quote it%s, as YAML reads a leading ! as a tag", key, example)
}

// syntaxBudget is how many bytes syntaxError may have yaml.v3 read again to
// find the line, about half a second: a head is read only up to its error,
// so a file of any size whose error is near the top costs little, and every
// head of a 40 KB file whose error is at the end fits. A variable so a test
// can lower it.
var syntaxBudget = 32 << 20

// countingReader counts the bytes read through it.
type countingReader struct {
	r *bytes.Reader
	n *int
}

func (c countingReader) Read(p []byte) (int, error) {
	k, err := c.r.Read(p)
	*c.n += k
	return k, err
}

// syntaxError is err, yaml.v3's error for p.data, at the line where it stops
// being YAML: the line after the longest run of whole lines, from the top,
// that still reads as YAML, found by reading ever shorter heads of the file
// from the bottom. (A bisection would read fewer, but whether a head reads
// does not grow monotonically with it: a head that ends inside a quoted
// string or a flow collection does not read.) yaml.v3's own "line N" is
// where the enclosing block starts, counted from 0 for some errors, and
// absent on the first line; it never gives a column, so neither does this.
// When the lines that read hold a second document, that is the error. A
// file whose heads take more than syntaxBudget to read keeps yaml.v3's
// wording.
func (p *parser) syntaxError(err error) error {
	p.line(0) // fills p.lines
	read := 0
	for n := len(p.lines) - 1; n >= 0; n-- { // the first n lines
		if read > syntaxBudget {
			break
		}
		if _, second, headErr := documents(countingReader{bytes.NewReader(p.data[:p.lines[n].start]), &read}); second != nil {
			return p.secondDocument(second)
		} else if headErr == nil {
			msg := yamlMessage(err)
			line, _ := p.line(n + 1)
			if m := negatedExpr().FindStringSubmatch(line); m != nil && exprKeys[m[1]] {
				msg += quoteHint(m[1], "")
			}
			if indent := line[:len(line)-len(strings.TrimLeft(line, " \t"))]; strings.Contains(indent, "\t") {
				msg += ": a tab indents this line, and YAML indents with spaces only"
			}
			if !utf8.Valid(p.data) && strings.Contains(msg, "UTF-8") {
				msg += ": the configuration is read as UTF-8; save the file in that encoding"
			}
			return &Error{File: p.file, Line: n + 1, Msg: msg}
		}
	}
	return &Error{File: p.file, Msg: strings.TrimPrefix(err.Error(), "yaml: ")}
}

// negatedExpr finds, on the line where a file stops being YAML, a key whose
// value starts with a !: for one of exprKeys, an unquoted CEL negation
// (!password_enabled || mfa_active), which YAML reads as a tag and then
// cannot read what follows it.
var negatedExpr = lazyre.New(`(?:^|[\s{,])([\w-]+)\s*:\s+!`)

// yamlMessage is yaml.v3's error message without its "yaml: " and
// "line N: " prefixes.
func yamlMessage(err error) string {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	if rest, ok := strings.CutPrefix(msg, "line "); ok {
		if _, after, ok := strings.Cut(rest, ": "); ok {
			return after
		}
	}
	return msg
}

func (c *Config) hasCustom(id string) bool {
	for _, r := range c.Custom {
		if r.ID == id {
			return true
		}
	}
	return false
}

// mapping walks a YAML mapping, calling the handler of each key; an unknown or
// repeated key is an error.
func (p *parser) mapping(n *yaml.Node, what string, keys map[string]func(*yaml.Node) error) error {
	if n.Kind != yaml.MappingNode {
		return p.errf(n, "%s must be a mapping", what)
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			return p.errf(k, "a key of %s is %s, not a name", what, shown(k))
		}
		h, ok := keys[k.Value]
		if !ok {
			return p.errf(k, "unknown key %q in %s (known: %s)", k.Value, what, strings.Join(slices.Sorted(maps.Keys(keys)), ", "))
		}
		if err := p.once(seen, k, what); err != nil {
			return err
		}
		if err := h(v); err != nil {
			return err
		}
	}
	return nil
}

// once records key k of mapping what in seen; a key seen before is an
// error (yaml.v3 keeps both, and the second would silently win).
func (p *parser) once(seen map[string]bool, k *yaml.Node, what string) error {
	if seen[k.Value] {
		return p.errf(k, "key %q repeated in %s", k.Value, what)
	}
	seen[k.Value] = true
	return nil
}

// plainText refuses a control character but a tab in s, the text of what
// at node v (a line break too unless lines): Security Hub, the digest's
// email and a terminal would show or obey it as it is.
func (p *parser) plainText(v *yaml.Node, s, what string, lines bool) error {
	for i, r := range []rune(s) {
		switch {
		case r == '\t', lines && r == '\n':
		case r == '\n' || r == '\r':
			return p.errf(v, "%s holds a line break (character %d): write it on one line (a folded > block ends with one; >- does not)", what, i+1)
		case r < 0x20 || r == 0x7f || r >= 0x80 && r < 0xa0:
			return p.errf(v, "%s holds the control character %U (character %d): write plain text", what, r, i+1)
		}
	}
	return nil
}

// shown is a node as an error names it: a scalar quoted, else its kind
// (yaml.v3 leaves a list's or a mapping's Value empty, which would read
// as "").
func shown(n *yaml.Node) string {
	switch n.Kind {
	case yaml.ScalarNode:
		return strconv.Quote(n.Value)
	case yaml.SequenceNode:
		return "a list"
	case yaml.MappingNode:
		return "a mapping"
	}
	return "an alias"
}

func (p *parser) str(n *yaml.Node, what string) (string, error) {
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		return "", p.errf(n, "%s must be a string", what)
	}
	return n.Value, nil
}

// rules reads `rules: {ID: {enabled: bool, <threshold>: int}}`.
func (p *parser) rules(n *yaml.Node, c *Config) error {
	if n.Kind != yaml.MappingNode {
		return p.errf(n, "rules must be a mapping of rule ID to settings")
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		id := k.Value
		if k.Kind != yaml.ScalarNode {
			return p.errf(k, "a key of rules is %s, not a rule ID", shown(k))
		}
		if err := p.once(seen, k, "rules"); err != nil {
			return err
		}
		builtin, ok := rules.Lookup(id)
		if !ok && !p.declared[id] {
			return p.errf(k, "unknown rule %q", id)
		}
		keys := map[string]func(*yaml.Node) error{
			"enabled": func(v *yaml.Node) error {
				var b bool
				if v.Kind != yaml.ScalarNode || v.Decode(&b) != nil || v.Tag != "!!bool" {
					return p.errf(v, "rules.%s.enabled must be true or false", id)
				}
				c.Enabled[id] = b
				return nil
			},
		}
		if ok {
			for _, th := range builtin.Thresholds {
				for _, name := range []string{th.Name, th.Alias} {
					if name != "" {
						keys[name] = p.threshold(c, id, th, name)
					}
				}
			}
		}
		if err := p.mapping(v, "rules."+id, keys); err != nil {
			return err
		}
	}
	return nil
}

// threshold reads th of rule id, written as name (its name or its alias).
func (p *parser) threshold(c *Config, id string, th rules.Threshold, name string) func(*yaml.Node) error {
	return func(v *yaml.Node) error {
		// An integer node, as enabled must be a boolean one: "30", quoted,
		// is a string.
		least := 1
		if th.Grace {
			least = 0 // no grace period
		}
		x, err := strconv.Atoi(v.Value)
		if v.Kind != yaml.ScalarNode || v.Tag != "!!int" || err != nil || x < least || x > 3650 {
			value := shown(v)
			if v.Tag == "!!str" && err == nil {
				value = "the string " + value
			}
			return p.errf(v, "rules.%s.%s must be a whole number of days from %d to 3650, not %s", id, name, least, value)
		}
		if digits := strings.TrimLeft(v.Value, "+"); len(digits) > 1 && digits[0] == '0' {
			// YAML 1.1, and yaml.v3 with it, reads 030 as octal (24).
			return p.errf(v, "rules.%s.%s: write %d, not %s, which YAML 1.1 reads as an octal number", id, name, x, v.Value)
		}
		if c.Thresholds[id] == nil {
			c.Thresholds[id] = map[string]int{}
		}
		if _, twice := c.Thresholds[id][th.Name]; twice {
			return p.errf(v, "rules.%s: %s and %s are one threshold; set one of them", id, th.Name, th.Alias)
		}
		c.Thresholds[id][th.Name] = x
		if c.thresholdAt == nil {
			c.thresholdAt = map[string]string{}
		}
		c.thresholdAt[id] = fmt.Sprintf("%s:%d", p.file, v.Line)
		return nil
	}
}

func (p *parser) suppressions(n *yaml.Node, c *Config) error {
	if n.Kind != yaml.SequenceNode {
		return p.errf(n, "suppressions must be a list")
	}
	for i, item := range n.Content {
		what := fmt.Sprintf("suppressions[%d]", i)
		s := rules.Suppression{Source: fmt.Sprintf("%s:%d", p.file, item.Line)}
		err := p.mapping(item, what, map[string]func(*yaml.Node) error{
			"rule": func(v *yaml.Node) (err error) {
				if s.RuleID, err = p.str(v, what+".rule"); err != nil {
					return err
				}
				if isBuiltin(s.RuleID) || s.RuleID == "*" || p.declared[s.RuleID] {
					return nil
				}
				return p.errf(v, "%s.rule: unknown rule %q (a rule ID or *)", what, s.RuleID)
			},
			"user": func(v *yaml.Node) (err error) {
				if s.User, err = p.str(v, what+".user"); err != nil {
					return err
				}
				if s.User == "" {
					return p.errf(v, "%s.user is empty: a user-name glob or an ARN", what)
				}
				if err := rules.CheckUserGlob(s.User); err != nil {
					return p.errf(v, "%s.user: %v", what, err)
				}
				return nil
			},
			"reason": func(v *yaml.Node) (err error) {
				if s.Reason, err = p.str(v, what+".reason"); err == nil && strings.TrimSpace(s.Reason) == "" {
					err = p.errf(v, "%s.reason is empty: say why the results are muted", what)
				}
				if err == nil {
					err = p.plainText(v, s.Reason, what+".reason", true)
				}
				return err
			},
			"expires": func(v *yaml.Node) error {
				if v.Kind != yaml.ScalarNode {
					return p.errf(v, "%s.expires is %s: want a date (2027-01-31) or an RFC 3339 time", what, shown(v))
				}
				t, err := time.Parse(time.DateOnly, v.Value)
				if err != nil {
					// As --as-of takes it; fractions of a second are
					// kept, and printed.
					if t, err = credreport.ParseRFC3339(v.Value); err != nil {
						return p.errf(v, "%s.expires %q: want a date (2027-01-31) or an RFC 3339 time", what, v.Value)
					}
				}
				if t.Before(rules.Earliest) {
					return p.errf(v, "%s.expires %s is before %d, before any AWS credential", what, v.Value, rules.Earliest.Year())
				}
				if t.After(credreport.Latest) {
					// Past it, the JSON's expires would not be RFC 3339.
					return p.errf(v, "%s.expires %s is after the year %d in UTC", what, v.Value, credreport.Latest.Year())
				}
				s.Expires = t.UTC()
				return nil
			},
		})
		if err != nil {
			return err
		}
		switch {
		case s.RuleID == "":
			return p.errf(item, "%s: rule is required (a rule ID or *)", what)
		case s.User == "":
			return p.errf(item, "%s: user is required (a user-name glob or an ARN)", what)
		case s.Reason == "":
			return p.errf(item, "%s: reason is required", what)
		}
		c.Suppressions = append(c.Suppressions, s)
	}
	return nil
}

// customIDPattern is the form of a custom rule ID (ORG-01), compiled on
// first use: only a configuration that names a rule needs it, not every
// command.
var customIDPattern = lazyre.New(`^[A-Z][A-Z0-9]*(-[A-Z0-9]+)+$`)

func (p *parser) customRules(n *yaml.Node, c *Config) error {
	if n.Kind != yaml.SequenceNode {
		return p.errf(n, "custom_rules must be a list")
	}
	for i, item := range n.Content {
		what := fmt.Sprintf("custom_rules[%d]", i)
		r := &rules.Rule{Scope: rules.ScopeRows, Custom: true}
		var where, assert *query.Expr
		var severitySet bool
		text := func(dst *string, field string, max int) func(*yaml.Node) error {
			return func(v *yaml.Node) error {
				s, err := p.str(v, what+"."+field)
				if err != nil {
					return err
				}
				// A description or a remediation may be a block of lines.
				if err := p.plainText(v, s, what+"."+field, field == "description" || field == "remediation"); err != nil {
					return err
				}
				// Counted as Security Hub counts its limits (UTF-16 code
				// units: a character, two for one outside the BMP).
				if n := publish.Length(s); n > max {
					return p.errf(v, "%s.%s is %d characters, at most %d", what, field, n, max)
				}
				*dst = s
				return nil
			}
		}
		expr := func(dst **query.Expr, field string) func(*yaml.Node) error {
			return func(v *yaml.Node) error {
				s, err := p.str(v, what+"."+field)
				if err != nil {
					return err
				}
				x, err := query.CompileAt(what+"."+field, fmt.Sprintf("%s:%d", p.file, v.Line), s)
				if ce := (*query.CompileError)(nil); errors.As(err, &ce) {
					return p.exprError(v, ce)
				} else if err != nil {
					return p.errf(v, "%v", err)
				}
				*dst = x
				return nil
			}
		}
		err := p.mapping(item, what, map[string]func(*yaml.Node) error{
			"id": func(v *yaml.Node) error {
				if err := text(&r.ID, "id", 64)(v); err != nil {
					return err
				}
				switch {
				case !customIDPattern().MatchString(r.ID):
					return p.errf(v, "%s: id %q must look like ORG-01 (capitals, digits and dashes)", what, r.ID)
				case isBuiltin(r.ID):
					return p.errf(v, "%s: id %s is a built-in rule; pick another", what, r.ID)
				case c.hasCustom(r.ID):
					return p.errf(v, "%s: id %s is used twice", what, r.ID)
				}
				return nil
			},
			"title":       text(&r.Title, "title", 256),
			"description": text(&r.Description, "description", 1024),
			"remediation": text(&r.Remediation, "remediation", 512),
			"url": func(v *yaml.Node) error {
				if err := text(&r.URL, "url", 512)(v); err != nil {
					return err
				}
				if u, err := url.Parse(r.URL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
					return p.errf(v, "%s.url %q is not an http or https URL", what, r.URL)
				}
				// SARIF's helpUri must be a URI, and Security Hub's
				// Remediation.Recommendation.Url gets the same.
				r.URL = uriEscape(r.URL)
				if n := len(r.URL); n > 512 {
					return p.errf(v, "%s.url is %d characters once percent-encoded, at most 512", what, n)
				}
				return nil
			},
			"severity": func(v *yaml.Node) error {
				if v.Kind != yaml.ScalarNode {
					return p.errf(v, "%s.severity is %s, not a severity (informational, low, medium, high, critical)", what, shown(v))
				}
				sev, err := rules.ParseSeverity(v.Value)
				if err != nil {
					return p.errf(v, "%s.severity: %v", what, err)
				}
				r.Severity, severitySet = sev, true
				return nil
			},
			"where":  expr(&where, "where"),
			"assert": expr(&assert, "assert"),
		})
		if err != nil {
			return err
		}
		switch {
		case r.ID == "":
			return p.errf(item, "%s: id is required (like ORG-01: capitals, digits and dashes)", what)
		case strings.TrimSpace(r.Title) == "":
			return p.errf(item, "%s: title is required", what)
		case !severitySet:
			return p.errf(item, "%s: severity is required (informational, low, medium, high or critical)", what)
		case strings.TrimSpace(r.Remediation) == "":
			return p.errf(item, "%s: remediation is required", what)
		case assert == nil:
			return p.errf(item, "%s: assert is required (a CEL expression that must hold)", what)
		}
		if r.Description == "" {
			r.Description = r.Title
		}
		r.Applies, r.Evaluate = customEvaluators(r, where, assert)
		c.Custom = append(c.Custom, r)
	}
	return nil
}

func isBuiltin(id string) bool {
	_, ok := rules.Lookup(id)
	return ok
}

// customEvaluators turns a custom rule's CEL into rule functions. Without a
// `where`, a custom rule covers every IAM user (not root), like a user rule.
// As a built-in rule does, it leaves NOT_AVAILABLE what hinges on a boolean
// cell holding a sentinel (query.Decide): an assert, or a where, which then
// covers the row, as it may select it.
func customEvaluators(r *rules.Rule, where, assert *query.Expr) (func(*credreport.Entry, rules.Env) (bool, error), func(*credreport.Entry, rules.Env) (rules.Verdict, error)) {
	applies := func(e *credreport.Entry, env rules.Env) (bool, error) {
		if where == nil {
			return !e.IsRoot(), nil
		}
		in, undecided, err := where.Decide(query.Row{Entry: e, AccountID: env.AccountID, AsOf: env.AsOf})
		return in || undecided != "", err
	}
	src := joinLines(assert.String())
	holds, fails, undecided := "assert "+src+" holds", "assert "+src+" does not hold", "assert "+src+" cannot be decided: "
	var whereUndecided string
	if where != nil {
		whereUndecided = "where " + joinLines(where.String()) + " cannot be decided: "
	}
	evaluate := func(e *credreport.Entry, env rules.Env) (rules.Verdict, error) {
		row := query.Row{Entry: e, AccountID: env.AccountID, AsOf: env.AsOf}
		if where != nil && where.ReadsSentinel(e) {
			// applies decided it, without an error, and covers the row
			// when it could not: this is the only row-by-row cost.
			if _, why, _ := where.Decide(row); why != "" {
				return rules.Verdict{Status: rules.NotAvailable, Reason: whereUndecided + why}, nil
			}
		}
		ok, why, err := assert.Decide(row)
		switch {
		case err != nil:
			return rules.Verdict{}, err
		case why != "":
			return rules.Verdict{Status: rules.NotAvailable, Reason: undecided + why}, nil
		case ok:
			return rules.Verdict{Status: rules.Passed, Reason: holds}, nil
		}
		return rules.Verdict{Status: rules.Failed, Reason: fails}, nil
	}
	return applies, evaluate
}

// joinLines is an expression's source as one line, for a reason: its lines
// (a YAML block scalar keeps them) trimmed and joined by a space. A reason
// is one sentence on one line in the digest, the CSV and the table.
func joinLines(src string) string {
	lines := strings.FieldsFunc(src, func(r rune) bool { return r == '\n' || r == '\r' })
	for i, l := range lines {
		lines[i] = strings.TrimSpace(l)
	}
	return strings.Join(slices.DeleteFunc(lines, func(l string) bool { return l == "" }), " ")
}

// ProfileName is the profile a run uses: override, else the file's (c may
// be nil: no file), else the default.
func (c *Config) ProfileName(override string) string {
	switch {
	case override != "":
		return override
	case c != nil && c.Profile != "":
		return c.Profile
	}
	return rules.DefaultProfile
}

// Selection resolves which rules run, in catalog order then custom rules:
// the profile (ProfileName), plus rules enabled, minus rules disabled, with
// thresholds applied. Custom rules run unless disabled.
func (c *Config) Selection(profileOverride string) ([]rules.Selected, string, error) {
	name := c.ProfileName(profileOverride)
	members, err := rules.Profile(name)
	if err != nil {
		return nil, "", err
	}
	if c == nil {
		c = &Config{}
	}
	in := map[string]bool{}
	for _, r := range members {
		in[r.ID] = true
	}
	var out []rules.Selected
	for _, r := range rules.Catalog() {
		if c.runs(r.ID, in[r.ID]) {
			out = append(out, rules.Select(r, c.Thresholds[r.ID]))
		}
	}
	for _, r := range c.Custom {
		if c.runs(r.ID, true) {
			out = append(out, rules.Select(r, nil))
		}
	}
	if len(out) == 0 {
		// A run would find nothing failing, an all-clear from nothing, and
		// resolve every finding it holds.
		source := "the configuration"
		if c.Source != "" {
			source = c.Source
		}
		return nil, "", fmt.Errorf("%w: %s disables every rule of profile %q and adds none, so nothing would be checked", ErrNoRules, source, name)
	}
	return out, name, nil
}

// runs reports whether a run under a profile runs rule id, which is in the
// profile or not (a custom rule is in every one): enabled: true runs it,
// enabled: false does not, and without either the profile decides.
func (c *Config) runs(id string, inProfile bool) bool {
	enabled, set := c.Enabled[id]
	return set && enabled || !set && inProfile
}

// setsNothing reports whether the file sets nothing: empty, or only
// sections with nothing set in them (every entry commented out, rules: {},
// suppressions: []), which are as easily an accident.
func (c *Config) setsNothing() bool {
	return c.Profile == "" && len(c.Enabled)+len(c.Thresholds)+len(c.Suppressions)+len(c.Custom) == 0
}

// Notes are what the configuration asks for that a run under profile
// (Selection's name) does not do, each a sentence naming where: a file
// that sets nothing, empty or with every entry of its sections commented
// out (an accident, say truncated, drops every suppression and custom rule
// without an error), and a threshold set for a rule that does not run. c
// may be nil: no file, nothing to say.
func (c *Config) Notes(profile string) []string {
	if c == nil {
		return nil
	}
	if c.setsNothing() {
		return []string{fmt.Sprintf("%s holds no setting: the defaults apply (profile %s, no suppression, no custom rule)", c.Source, profile)}
	}
	members, err := rules.Profile(profile)
	if err != nil {
		return nil
	}
	var notes []string
	for _, id := range slices.Sorted(maps.Keys(c.thresholdAt)) {
		if c.runs(id, slices.ContainsFunc(members, func(r *rules.Rule) bool { return r.ID == id })) {
			continue
		}
		why, hint := "is not in profile "+profile, " (enabled: true runs it)"
		if _, set := c.Enabled[id]; set {
			why, hint = "is disabled", ""
		}
		notes = append(notes, fmt.Sprintf("%s: rules.%s sets a threshold, but %s %s, so it does not run%s", c.thresholdAt[id], id, id, why, hint))
	}
	return notes
}

// ErrNoRules is Selection's error when the profile and the configuration
// leave no rule to evaluate.
var ErrNoRules = errors.New("no rule selected")

// exprError places an expression's compile errors in the file: at their
// own line and column when the value is written so that each character of
// the expression is a character of the file (a one-line plain or quoted
// value without escapes, or a literal block, |), else at the value with
// the line and column inside it, or alone for a problem CEL places nowhere
// (a limit on the expression's size or nesting).
func (p *parser) exprError(v *yaml.Node, ce *query.CompileError) error {
	var first *Error
	var more strings.Builder
	for _, pr := range ce.Problems {
		e := &Error{File: p.file, Msg: ce.Name + ": " + pr.Msg}
		if line, col, ok := p.inFile(v, pr.Line, pr.Column); ok {
			e.Line, e.Column = line, col
		} else {
			e.Line, e.Column = v.Line, v.Column
			if pr.Line > 0 { // 0: a problem CEL places nowhere in the expression
				e.Msg = fmt.Sprintf("%s:%d:%d: %s", ce.Name, pr.Line, pr.Column, pr.Msg)
			}
		}
		if first == nil {
			first = e
			continue
		}
		more.WriteString("\n" + e.Error())
	}
	first.Msg += more.String()
	return first
}

// inFile maps a position in v's value (line and column from 1, in
// characters) to the file, when each line of the value stands in the file
// as it is.
func (p *parser) inFile(v *yaml.Node, line, col int) (fileLine, fileCol int, ok bool) {
	// A block's final line breaks end its last line; they hold no line of
	// the expression to find in the file.
	lines := strings.Split(strings.TrimRight(v.Value, "\n"), "\n")
	if line < 1 || line > len(lines) {
		return 0, 0, false
	}
	text := lines[line-1]
	switch v.Style {
	case 0, yaml.SingleQuotedStyle, yaml.DoubleQuotedStyle:
		start := v.Column // the value's first character, after any quote
		if v.Style != 0 {
			start++
		}
		raw, found := p.line(v.Line)
		if len(lines) != 1 || !found || !strings.HasPrefix(skipChars(raw, start-1), text) {
			return 0, 0, false
		}
		return v.Line, start + col - 1, true
	case yaml.LiteralStyle:
		// The block's lines follow the | line, each indented alike.
		indent := -1
		for i, l := range lines {
			raw, found := p.line(v.Line + 1 + i)
			if !found || l == "" && strings.TrimSpace(raw) == "" {
				continue
			}
			n := len(raw) - len(l)
			if n < 0 || raw[n:] != l || strings.Trim(raw[:n], " ") != "" || indent >= 0 && n != indent {
				return 0, 0, false
			}
			indent = n
		}
		if indent < 0 {
			return 0, 0, false
		}
		return v.Line + line, indent + col, true
	}
	return 0, 0, false
}

// line returns line n (from 1) of the file, without its line break.
func (p *parser) line(n int) (string, bool) {
	if p.lines == nil {
		p.lines = lineSpans(p.data)
	}
	if n < 1 || n > len(p.lines) {
		return "", false
	}
	return string(p.data[p.lines[n-1].start:p.lines[n-1].end]), true
}

// span is a line of a file: where it starts, and where its line break
// (or the file) starts.
type span struct{ start, end int }

// lineSpans returns data's lines as yaml.v3 counts them, which is how
// every line a node or an error names is counted: a line ends at \r\n, \r
// or \n alike, and at a NEL, LS or PS (U+0085, U+2028, U+2029), which
// YAML 1.1 reads as line breaks too. A line break that ends data starts
// no line after it.
func lineSpans(data []byte) []span {
	var lines []span
	start := 0
	for i := 0; i < len(data); {
		n := lineBreak(data[i:])
		if n == 0 {
			i++
			continue
		}
		lines = append(lines, span{start, i})
		i += n
		start = i
	}
	if start < len(data) {
		lines = append(lines, span{start, len(data)})
	}
	return lines
}

// lineBreak is the length of the line break data starts with, 0 for none.
func lineBreak(data []byte) int {
	switch {
	case bytes.HasPrefix(data, []byte("\r\n")):
		return 2
	case data[0] == '\r', data[0] == '\n':
		return 1
	case bytes.HasPrefix(data, []byte("\u0085")):
		return 2
	case bytes.HasPrefix(data, []byte("\u2028")), bytes.HasPrefix(data, []byte("\u2029")):
		return 3
	}
	return 0
}

// skipChars returns s after its first n characters.
func skipChars(s string, n int) string {
	for i := range s {
		if n == 0 {
			return s[i:]
		}
		n--
	}
	return ""
}

// uriEscape percent-encodes the bytes of u that no URI holds (a space, a
// control, a byte outside ASCII, "<>\"\\^`{|}"), as a browser does with a
// URL written so (a wiki page's title), leaving a URI as it is.
func uriEscape(u string) string {
	const digits = "0123456789ABCDEF"
	var b []byte
	for i := 0; i < len(u); i++ {
		c := u[i]
		if c > ' ' && c < 0x7f && !strings.ContainsRune("<>\"\\^`{|}", rune(c)) {
			if b != nil {
				b = append(b, c)
			}
			continue
		}
		if b == nil {
			b = append(make([]byte, 0, len(u)+8), u[:i]...)
		}
		b = append(b, '%', digits[c>>4], digits[c&15])
	}
	if b == nil {
		return u
	}
	return string(b)
}
