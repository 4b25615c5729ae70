package docs

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	md "github.com/azagen/azagen/internal/markdown"
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

// flagTable lists the visible flags of fs, or returns nil when there are
// none.
func flagTable(fs *pflag.FlagSet) *md.Table {
	t := md.NewTable("Flag", "Type", "Default", "Description")
	fs.VisitAll(func(f *pflag.Flag) {
		if f.Hidden || f.Name == "help" {
			return
		}
		name := "--" + f.Name
		if f.Shorthand != "" {
			name = "-" + f.Shorthand + ", " + name
		}
		def := md.None
		if f.DefValue != "" && f.DefValue != "[]" && f.DefValue != "false" {
			def = md.CodeSpan(f.DefValue)
		}
		t.Add(md.CodeSpan(name), md.Text(f.Value.Type()), def, md.Text(f.Usage))
	})
	if len(t.Rows) == 0 {
		return nil
	}
	return t
}

func buildCommands(in *Input, _ string) (md.Content, error) {
	root := in.CLI
	if root == nil {
		return nil, fmt.Errorf("no CLI to document")
	}
	t := md.NewTable("Command", "What it does")
	for _, c := range cliCommands(root)[1:] {
		t.Add(md.CodeSpan(c.CommandPath()), md.Text(c.Short))
	}
	out := md.Content{t}
	if ft := flagTable(root.PersistentFlags()); ft != nil {
		out = append(out, md.Paragraph(md.Text("Global flags:")), ft)
	}
	if len(in.ExitCodes) > 0 {
		et := md.NewTable("Code", "Meaning")
		for _, c := range in.ExitCodes {
			et.Add(md.Text(strconv.Itoa(c.Code)), md.Text(c.Meaning))
		}
		out = append(out, md.Paragraph(md.Text("Exit codes:")), et)
	}
	return out, nil
}

func buildCLI(in *Input, _ string) (md.Content, error) {
	root := in.CLI
	if root == nil {
		return nil, fmt.Errorf("no CLI to document")
	}
	var out md.Content
	for _, c := range cliCommands(root) {
		out = append(out,
			md.Heading{Level: 3, Text: md.CodeSpan(c.CommandPath())},
			md.Paragraph(md.Text(strings.TrimSuffix(c.Short, ".")+".")))
		if c.Long != "" {
			out = append(out, md.CodeFence{Lang: "text", Body: c.Long})
		}
		out = append(out, md.Paragraph(md.Join(md.Text("Usage: "), md.CodeSpan(c.UseLine()))))
		if c.Example != "" {
			out = append(out, md.Paragraph(md.Text("Examples:")), md.CodeFence{Lang: "sh", Body: c.Example})
		}
		flags := c.LocalNonPersistentFlags()
		title := "Flags"
		if c == root {
			flags, title = c.PersistentFlags(), "Global flags (every command)"
		}
		if ft := flagTable(flags); ft != nil {
			out = append(out, md.Paragraph(md.Text(title+":")), ft)
		}
	}
	return out, nil
}
