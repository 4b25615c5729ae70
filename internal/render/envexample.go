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
func EnvExample(st *model.Stack) output.File {
	var b strings.Builder
	b.WriteString(output.HashComment())
	fmt.Fprintf(&b, "#\n# Environment of the %s stack. Copy this file to .env beside compose.yaml,\n", st.Name)
	b.WriteString("# fill in every empty value and keep it private (chmod 600 .env).\n")
	b.WriteString("# Compose refuses to start while a required variable is empty.\n")
	for _, v := range derive.Variables(st) {
		b.WriteString("\n")
		if v.Doc != "" {
			fmt.Fprintf(&b, "# %s\n", v.Doc)
		}
		if v.Default != nil {
			fmt.Fprintf(&b, "# Default: %s. Used by: %s.\n", *v.Default, strings.Join(v.UsedBy, ", "))
			fmt.Fprintf(&b, "%s=%s\n", v.Name, *v.Default)
		} else {
			fmt.Fprintf(&b, "# Required. Used by: %s.\n", strings.Join(v.UsedBy, ", "))
			fmt.Fprintf(&b, "%s=\n", v.Name)
		}
	}
	return output.File{Path: model.EnvExamplePath(st.Key), Data: []byte(b.String()), Mode: 0o644}
}
