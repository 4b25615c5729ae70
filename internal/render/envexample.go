package render

import (
	"fmt"
	"strings"

	"github.com/azagen/azagen/internal/derive"
	"github.com/azagen/azagen/internal/model"
	"github.com/azagen/azagen/internal/output"
)

// EnvExample renders generated/stacks/<stack>/.env.example. Required
// variables are left empty on purpose: copying the file unchanged must not
// start a stack with a placeholder password.
// env is the environment the stack is rendered for, nil for the source.
func EnvExample(st *model.Stack, env *model.Environment) output.File {
	var b strings.Builder
	b.WriteString(output.HashComment())
	vet := "azagen vet --env-file .env --stack " + st.Key
	if env != nil {
		fmt.Fprintf(&b, "#\n# Environment %s of stacks.cue", env.Name)
		if env.Doc != "" {
			fmt.Fprintf(&b, ": %s", env.Doc)
		}
		b.WriteString(".\n")
		vet = "azagen vet --environment " + env.Name + " --env-file .env --stack " + st.Key
	}
	fmt.Fprintf(&b, "#\n# Environment of the %s stack. Copy this file to .env beside compose.yaml,\n", st.Name)
	b.WriteString("# fill in every empty value and keep it private (chmod 600 .env).\n")
	b.WriteString("# Compose refuses to start while a required variable is empty.\n")
	b.WriteString("#\n")
	b.WriteString("# Write every value between single quotes, as below: PASSWORD='pa$word #1'.\n")
	b.WriteString("# Compose's .env parser rewrites other forms without an error: unquoted or in\n")
	b.WriteString("# double quotes, '$' starts a variable reference ($word becomes empty), and\n")
	b.WriteString("# unquoted, ' #' starts a comment. Single quotes keep every character except\n")
	b.WriteString("# a single quote, a backslash right before the closing quote and a line\n")
	b.WriteString("# break: a value cannot hold those. Check the filled-in file with\n")
	fmt.Fprintf(&b, "#   %s\n", vet)
	for _, v := range derive.Variables(st) {
		b.WriteString("\n")
		if v.Doc != "" {
			fmt.Fprintf(&b, "# %s\n", v.Doc)
		}
		if v.Default != nil {
			if t := v.Tunable; t != nil {
				fmt.Fprintf(&b, "# Tunable. Default: %s. Allowed: %s. Used by: %s.\n", *v.Default, t.Range(), strings.Join(v.UsedBy, ", "))
			} else {
				fmt.Fprintf(&b, "# Default: %s. Used by: %s.\n", *v.Default, strings.Join(v.UsedBy, ", "))
			}
			fmt.Fprintf(&b, "%s=%s\n", v.Name, envSingleQuoted(*v.Default))
		} else {
			fmt.Fprintf(&b, "# Required. Used by: %s.\n", strings.Join(v.UsedBy, ", "))
			fmt.Fprintf(&b, "%s=''\n", v.Name)
		}
	}
	return output.File{Path: model.EnvExamplePath(st.Key), Data: []byte(b.String()), Mode: 0o644}
}

// envSingleQuoted writes a default in the single-quoted form compose's .env
// parser keeps literally, unless the value holds what that form cannot
// (then it is written bare, as before; policy keeps '$' out of defaults).
func envSingleQuoted(s string) string {
	if strings.ContainsAny(s, "'\\\n") {
		return s
	}
	return "'" + s + "'"
}
