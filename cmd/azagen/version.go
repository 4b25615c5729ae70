package main

import (
	"encoding/json"
	"fmt"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// versionInfo is what `azagen version` reports: azagen's own version and
// the versions of the libraries that decide its output.
type versionInfo struct {
	Azagen    string `json:"azagen"`
	Go        string `json:"go"`
	CUE       string `json:"cue"`
	ComposeGo string `json:"composeGo"`
}

func currentVersion() versionInfo {
	v := versionInfo{Azagen: "(devel)"}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return v
	}
	v.Go = bi.GoVersion
	if bi.Main.Version != "" {
		v.Azagen = bi.Main.Version
	}
	for _, d := range bi.Deps {
		switch d.Path {
		case "cuelang.org/go":
			v.CUE = d.Version
		case "github.com/compose-spec/compose-go/v2":
			v.ComposeGo = d.Version
		}
	}
	return v
}

func newVersionCmd(a *app) *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print the versions of azagen, CUE and compose-go",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			v := currentVersion()
			switch output {
			case "json":
				enc := json.NewEncoder(a.stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(v)
			case "text":
				fmt.Fprintf(a.stdout, "azagen %s\ngo %s\ncue %s\ncompose-go %s\n", v.Azagen, v.Go, v.CUE, v.ComposeGo)
				return nil
			}
			return &exitErr{code: exitError, err: fmt.Errorf("unknown --output %q: want text or json", output)}
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "text", "output format: text or json")
	return cmd
}
