package main

import (
	"fmt"
	"strings"

	"github.com/azagen/azagen/internal/docs"
)

// Exit codes. exitCodes below says what each means, for --help and the
// docs.
const (
	exitOK      = 0
	exitDrift   = 1
	exitInvalid = 2
	exitError   = 3
)

// exitCodes is the one table of exit codes: the root command's help and the
// CLI reference in the docs both print it.
var exitCodes = []docs.ExitCode{
	{Code: exitOK, Meaning: "success: valid input, and for check, no drift"},
	{Code: exitDrift, Meaning: "check found drift (changed, missing or orphaned files, stale docs tables), render --fail-on-change changed something, or diff found the two environments differ"},
	{Code: exitInvalid, Meaning: "invalid input: schema, policy or docs errors, reported with file:line:col"},
	{Code: exitError, Meaning: "usage, I/O or internal error"},
}

// helpWidth is the widest line of the exit-code list in --help.
const helpWidth = 78

// exitCodeHelp renders exitCodes for --help, each meaning wrapped under its
// first line.
func exitCodeHelp() string {
	var b strings.Builder
	b.WriteString("Exit codes:")
	for _, c := range exitCodes {
		line := fmt.Sprintf("  %d  ", c.Code)
		indent := strings.Repeat(" ", len(line))
		b.WriteString("\n")
		n := len(line)
		b.WriteString(line)
		for i, w := range strings.Fields(c.Meaning) {
			if i > 0 && n+1+len(w) > helpWidth {
				b.WriteString("\n" + indent)
				n = len(indent)
			} else if i > 0 {
				b.WriteString(" ")
				n++
			}
			b.WriteString(w)
			n += len(w)
		}
	}
	return b.String()
}
