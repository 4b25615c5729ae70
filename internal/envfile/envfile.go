// Package envfile checks an operator's .env for one stack before compose
// reads it: every variable the stack requires is set, every value is one
// its consumer accepts (derive.VarRules), and every value reaches the
// container exactly as written. Compose's .env parser rewrites some text
// silently, with warnings at most: unquoted and double-quoted values expand
// `$NAME`, an unquoted value ends at ` #`, double quotes expand
// backslash escapes. A secret altered that way still passes compose's
// required-variable guard, and the server gets another password than the
// operator wrote down. compose-go's own parser is the oracle: a value is
// refused when what it yields differs from the text between the quotes.
package envfile

import (
	"fmt"
	"io"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/compose-spec/compose-go/v2/dotenv"
	"github.com/sirupsen/logrus"

	"github.com/azagen/azagen/internal/derive"
	"github.com/azagen/azagen/internal/diag"
	"github.com/azagen/azagen/internal/rules"
)

// entry is one KEY=value statement of the file.
type entry struct {
	key  string
	line int
	// valueCol is the 1-based column where the value's text starts.
	valueCol int
	// written is the value as the operator wrote it: the text between the
	// quotes, or the unquoted text without surrounding blanks.
	written string
	quote   byte // 0, '\'' or '"'
	// got is what compose's parser yields for the statement alone.
	got string
}

var keyName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_.-]*$`)

// quoted matches a quoted value to its last closing quote, which only
// blanks and a comment may follow.
var quoted = map[byte]*regexp.Regexp{
	'\'': regexp.MustCompile(`^'(.*)'[ \t]*(?:#.*)?$`),
	'"':  regexp.MustCompile(`^"(.*)"[ \t]*(?:#.*)?$`),
}

// lineOf finds "line N" in a compose-go parse error.
var lineOf = regexp.MustCompile(`line (\d+)`)

// Check checks the .env data (named name in diagnostics) against the rules
// of one stack. Findings are positioned FILE:line:col; a variable the file
// never sets is reported at the line after its last.
func Check(name string, data []byte, vrules []derive.VarRule, stack string) diag.List {
	var out diag.List
	report := func(rule string, line, col int, format string, args ...any) {
		r := rules.Get(rule)
		out = append(out, diag.Diagnostic{Rule: r.ID, Severity: r.Severity,
			Pos: diag.Position{File: name, Line: line, Col: col}, Message: fmt.Sprintf(format, args...)})
	}
	// compose-go warns through the process-wide logger about every unset
	// variable a value references; the findings below say it instead.
	defer logrus.SetOutput(logrus.StandardLogger().Out)
	logrus.SetOutput(io.Discard)
	lines := strings.Split(strings.ReplaceAll(string(data), "\r\n", "\n"), "\n")
	byKey := map[string][]entry{}
	for i, text := range lines {
		e, ok, problem := parseLine(text, i+1)
		if problem != "" {
			report(rules.EnvFileSyntax, i+1, 1, "%s", problem)
			continue
		}
		if !ok {
			continue
		}
		byKey[e.key] = append(byKey[e.key], e)
	}
	// The whole file, as compose reads it; no lookup, so a reference to a
	// variable of the shell reads as empty here and is refused below.
	final, err := dotenv.UnmarshalBytesWithLookup(data, func(string) (string, bool) { return "", false })
	if err != nil {
		line := 1
		if m := lineOf.FindStringSubmatch(err.Error()); m != nil {
			line, _ = strconv.Atoi(m[1])
		}
		if !out.HasErrors() {
			// compose-go counts a line more for an unterminated quote at
			// the end; the scan above names the line itself when it can.
			report(rules.EnvFileSyntax, line, 1, "compose cannot read this file from here: %s", parseFailure(err))
		}
		out.Sort()
		return out
	}

	ruleOf := map[string]derive.VarRule{}
	for _, r := range vrules {
		ruleOf[r.Name] = r
	}
	altered := map[string]bool{}
	for _, key := range slices.Sorted(maps.Keys(byKey)) {
		es := byKey[key]
		for _, e := range es[1:] {
			report(rules.EnvFileDuplicate, e.line, 1, "%s is set again (first on line %d); compose keeps the last value, so one of the two is silently ignored", key, es[0].line)
		}
		if _, known := ruleOf[key]; !known {
			report(rules.EnvFileUnknown, es[0].line, 1, "stack %s reads no variable %s: a misspelt name leaves the intended variable at its default or unset", stack, key)
		}
		for _, e := range es {
			if e.got == e.written {
				continue
			}
			altered[key] = true
			col, why := alteration(e)
			report(rules.EnvFileLiteral, e.line, e.valueCol+col, "compose would not pass %s as written: %s. Write it in single quotes, %s='...', which keep every character but a single quote, a backslash before the closing quote and a line break", key, why, key)
		}
	}

	end := len(lines)
	if end > 0 && lines[end-1] == "" {
		end-- // the final newline ends the last line; it does not start one
	}
	for _, r := range vrules {
		es := byKey[r.Name]
		if altered[r.Name] {
			continue
		}
		value, set := final[r.Name]
		if err := r.Check(value, set); err != nil {
			rule, line := rules.EnvFileValue, end+1
			if len(es) > 0 {
				line = es[len(es)-1].line
			}
			if r.Default == nil && value == "" {
				rule = rules.EnvFileRequired
			}
			report(rule, line, 1, "%v", err)
		}
	}
	out.Sort()
	return out
}

// parseLine reads one line: ok is false for blanks and comments; problem
// says why a line is no KEY=value statement compose and azagen agree on.
func parseLine(text string, line int) (e entry, ok bool, problem string) {
	trimmed := strings.TrimLeft(text, " \t")
	if trimmed == "" || trimmed[0] == '#' {
		return entry{}, false, ""
	}
	indent := len(text) - len(trimmed)
	if rest, found := strings.CutPrefix(trimmed, "export "); found {
		indent += len(trimmed) - len(rest)
		trimmed = rest
	}
	eq := strings.IndexByte(trimmed, '=')
	if eq < 0 {
		return entry{}, false, "not a KEY=value line (a value that spans lines is not supported: compose and the server's scripts read passwords as one line)"
	}
	key := strings.TrimRight(trimmed[:eq], " \t")
	if !keyName.MatchString(key) {
		return entry{}, false, fmt.Sprintf("%q is not a variable name", key)
	}
	raw := trimmed[eq+1:]
	lead := len(raw) - len(strings.TrimLeft(raw, " \t"))
	raw = raw[lead:]
	e = entry{key: key, line: line, valueCol: indent + eq + 1 + lead + 1}
	switch {
	case raw != "" && (raw[0] == '\'' || raw[0] == '"'):
		q := raw[0]
		m := quoted[q].FindStringSubmatch(raw)
		if m == nil {
			return entry{}, false, fmt.Sprintf("the value of %s opens a %c quote that does not close on its line (only a comment may follow it)", key, q)
		}
		e.quote, e.written = q, m[1]
		e.valueCol++ // the text starts after the quote
	default:
		e.written = strings.TrimRight(raw, " \t")
	}
	got, err := dotenv.UnmarshalWithLookup(key+"="+raw, func(string) (string, bool) { return "", false })
	if err != nil {
		return entry{}, false, fmt.Sprintf("compose cannot read the value of %s: %s", key, parseFailure(err))
	}
	e.got = got[key]
	return e, true, ""
}

// alteration explains, without printing the value (it may be a secret),
// where and why compose changes it: the 0-based offset in written of the
// first character compose treats specially, and the reason.
func alteration(e entry) (int, string) {
	w := e.written
	type special struct {
		at  int
		why string
	}
	var found []special
	add := func(at int, why string) {
		if at >= 0 {
			found = append(found, special{at, why})
		}
	}
	switch e.quote {
	case 0:
		add(strings.Index(w, "$"), "'$' starts a variable reference, which compose replaces (with nothing when it is unset)")
		add(strings.Index(w, " #"), "' #' starts a comment, which compose cuts off with everything after it")
	case '"':
		add(strings.Index(w, "$"), "'$' starts a variable reference, which compose replaces even inside double quotes")
		add(strings.IndexByte(w, '\\'), "a backslash starts an escape sequence inside double quotes")
	case '\'':
		add(strings.IndexByte(w, '\\'), "a backslash before a single quote escapes it, even inside single quotes")
		add(strings.IndexByte(w, '\''), "a single quote inside single quotes ends the value")
	}
	if len(found) == 0 {
		// compose changed it in a way not listed above: point at the first
		// difference.
		i := 0
		for i < len(w) && i < len(e.got) && w[i] == e.got[i] {
			i++
		}
		return i, "its parser reads a different value"
	}
	slices.SortFunc(found, func(a, b special) int { return a.at - b.at })
	return found[0].at, found[0].why
}

// parseFailure says why compose-go failed without its own text, which
// quotes the value (it may be a secret).
func parseFailure(err error) string {
	if strings.Contains(err.Error(), "unterminated quoted value") {
		return "a quoted value does not close (a backslash right before the closing quote escapes it)"
	}
	return "its parser rejects the line"
}
