package docs

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// cliCommands lists the commands to document: the root, then every
// available subcommand depth-first in cobra's (sorted) order. Cobra's own
// help and completion commands are not azagen's and are left out.
func cliCommands(root *cobra.Command) []*cobra.Command {
	out := []*cobra.Command{root}
	for _, c := range root.Commands() {
		if !c.IsAvailableCommand() || c.Name() == "help" || c.Name() == "completion" {
			continue
		}
		out = append(out, cliCommands(c)...)
	}
	return out
}

func flagTable(fs *pflag.FlagSet) string {
	t := newTable("Flag", "Type", "Default", "Description")
	n := 0
	fs.VisitAll(func(f *pflag.Flag) {
		if f.Hidden || f.Name == "help" {
			return
		}
		name := "--" + f.Name
		if f.Shorthand != "" {
			name = "-" + f.Shorthand + ", " + name
		}
		def := none
		if f.DefValue != "" && f.DefValue != "[]" && f.DefValue != "false" {
			def = code(f.DefValue)
		}
		t.add(code(name), f.Value.Type(), def, text(f.Usage))
		n++
	})
	if n == 0 {
		return ""
	}
	return t.String()
}

func renderCommands(in *Input, _ string) (string, error) {
	root := in.CLI
	if root == nil {
		return "", fmt.Errorf("no CLI to document")
	}
	var b strings.Builder
	t := newTable("Command", "What it does")
	for _, c := range cliCommands(root)[1:] {
		t.add(code(c.CommandPath()), text(c.Short))
	}
	b.WriteString(t.String())
	if ft := flagTable(root.PersistentFlags()); ft != "" {
		b.WriteString("\nGlobal flags:\n\n")
		b.WriteString(ft)
	}
	if len(in.ExitCodes) > 0 {
		b.WriteString("\nExit codes:\n\n")
		et := newTable("Code", "Meaning")
		for _, c := range in.ExitCodes {
			et.add(strconv.Itoa(c.Code), text(c.Meaning))
		}
		b.WriteString(et.String())
	}
	return b.String(), nil
}

func renderCLI(in *Input, _ string) (string, error) {
	root := in.CLI
	if root == nil {
		return "", fmt.Errorf("no CLI to document")
	}
	var b strings.Builder
	for i, c := range cliCommands(root) {
		if i > 0 {
			b.WriteString("\n")
		}
		fmt.Fprintf(&b, "### `%s`\n\n%s.\n\n", c.CommandPath(), strings.TrimSuffix(text(c.Short), "."))
		if c.Long != "" {
			b.WriteString(fenced("text", c.Long))
			b.WriteString("\n")
		}
		fmt.Fprintf(&b, "Usage: %s\n", code(c.UseLine()))
		if c.Example != "" {
			b.WriteString("\nExamples:\n\n")
			b.WriteString(fenced("sh", c.Example))
		}
		flags := c.LocalNonPersistentFlags()
		title := "Flags"
		if c == root {
			flags, title = c.PersistentFlags(), "Global flags (every command)"
		}
		if ft := flagTable(flags); ft != "" {
			fmt.Fprintf(&b, "\n%s:\n\n%s", title, ft)
		}
	}
	return b.String(), nil
}

// fenced wraps s in a code fence longer than any backtick run inside it.
func fenced(lang, s string) string {
	fence := "```"
	for strings.Contains(s, fence) {
		fence += "`"
	}
	return fence + lang + "\n" + strings.TrimRight(s, "\n") + "\n" + fence + "\n"
}
