package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/azagen/azagen/internal/diag"
)

// printDiags is the one printer of diagnostics, in every format: text on
// stderr, where it never mixes with a diff on stdout; JSON and GitHub
// workflow commands on stdout, where tools read them. JSON always prints
// the list, even an empty one.
func (a *app) printDiags(f diag.Format, l diag.List) error {
	switch f {
	case diag.JSON:
		return encodeJSON(a.stdout, nonNil(l))
	case diag.GitHub:
		for _, d := range l {
			if _, err := io.WriteString(a.stdout, githubAnnotation(d)+"\n"); err != nil {
				return err
			}
		}
		return nil
	default:
		for _, d := range l {
			if _, err := io.WriteString(a.stderr, d.String()+"\n"); err != nil {
				return err
			}
		}
		return nil
	}
}

// printFailure prints the diagnostics that end a command and, in the text
// format, how many errors there were followed by summary.
func (a *app) printFailure(f diag.Format, l diag.List, summary string) error {
	if err := a.printDiags(f, l); err != nil {
		return err
	}
	if f == diag.Text {
		_, err := fmt.Fprintf(a.stderr, "azagen: %d error(s)%s\n", l.Errors(), summary)
		return err
	}
	return nil
}

// nonNil makes an empty list encode as [] rather than null.
func nonNil(l diag.List) diag.List {
	if l == nil {
		return diag.List{}
	}
	return l
}

// encodeJSON writes v indented, as every JSON output of azagen is.
func encodeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// githubAnnotation renders d as a GitHub Actions workflow command:
// ::error file=F,line=L,col=C,title=T::message. The runner splits the
// properties at ',' and each property at its first ':' after "::", and
// reads %XX escapes, so properties have %, CR, LF, ':' and ',' escaped,
// and the message (the data) %, CR and LF.
func githubAnnotation(d diag.Diagnostic) string {
	level := "error"
	if d.Severity == diag.Warning {
		level = "warning"
	}
	var props []string
	if d.Pos.File != "" {
		props = append(props, "file="+escapeProperty(d.Pos.File))
	}
	if d.Pos.Line > 0 {
		props = append(props, fmt.Sprintf("line=%d", d.Pos.Line), fmt.Sprintf("col=%d", d.Pos.Col))
	}
	props = append(props, "title="+escapeProperty("azagen "+d.Rule))
	msg := d.Message
	if d.Env != "" {
		msg = "environment " + d.Env + ": " + msg
	}
	return fmt.Sprintf("::%s %s::%s", level, strings.Join(props, ","), escapeData(msg))
}

var (
	dataEscaper     = strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A")
	propertyEscaper = strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C")
)

func escapeData(s string) string { return dataEscaper.Replace(s) }

func escapeProperty(s string) string { return propertyEscaper.Replace(s) }
