package imagecheck

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
)

// Manifest is docker/postgres/extensions.manifest.json.
type Manifest struct {
	Comment       string  `json:"comment"`
	PostgresMajor int     `json:"postgres_major"`
	Entries       []Entry `json:"entries"`
}

// Entry is one extension, contrib module or tool of the image.
type Entry struct {
	Name           string    `json:"name"`
	Kind           string    `json:"kind"`    // builtin, extension, tool
	Install        string    `json:"install"` // builtin, pgdg, source
	Enabled        *bool     `json:"enabled,omitempty"`
	DisabledReason string    `json:"disabled_reason,omitempty"`
	PGDG           *PGDG     `json:"pgdg,omitempty"`
	Source         Source    `json:"source"`
	Build          Build     `json:"build"`
	Runtime        Runtime   `json:"runtime"`
	Decision       *Decision `json:"decision,omitempty"`
	Notes          []string  `json:"notes,omitempty"`
}

// IsEnabled reports whether the image carries the entry.
func (e Entry) IsEnabled() bool { return e.Enabled == nil || *e.Enabled }

// PGDG names the apt package of a pgdg entry and the Dockerfile ARG that pins it.
type PGDG struct {
	Package string `json:"package"`
	Version string `json:"version"`
	Arg     string `json:"arg"`
}

// Source is where the code comes from.
type Source struct {
	Type       string `json:"type"` // builtin, git
	Repository string `json:"repository,omitempty"`
	Tag        string `json:"tag,omitempty"`
	Ref        string `json:"ref,omitempty"`
	Commit     string `json:"commit,omitempty"`
}

// Build says how build-extensions.sh builds a source entry.
type Build struct {
	Type              string   `json:"type"` // builtin, pgdg, pgxs, bootstrap, cargo-pgrx
	Subdir            string   `json:"subdir,omitempty"`
	Args              []string `json:"args,omitempty"`
	Features          []string `json:"features,omitempty"`
	NoDefaultFeatures bool     `json:"no_default_features,omitempty"`
	Patches           []Patch  `json:"patches,omitempty"`
}

// Patch is a patch file applied with git apply, or a one-line fixed-string
// replacement.
type Patch struct {
	File   string `json:"file,omitempty"`
	Sed    *Sed   `json:"sed,omitempty"`
	Reason string `json:"reason,omitempty"`
}

// Sed replaces Anchor, which must occur on exactly one line of File.
type Sed struct {
	File    string `json:"file"`
	Anchor  string `json:"anchor"`
	Replace string `json:"replace"`
}

// Runtime says how the server uses an entry.
type Runtime struct {
	Preload bool   `json:"preload"`
	Library string `json:"library,omitempty"`
	Create  bool   `json:"create"`
}

// Decision records why an entry is installed the way it is.
type Decision struct {
	Install string `json:"install"`
	Reason  string `json:"reason"`
}

// ParseManifest decodes the manifest strictly: an unknown field is an error.
func ParseManifest(data []byte) (*Manifest, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var m Manifest
	if err := dec.Decode(&m); err != nil {
		return nil, err
	}
	return &m, nil
}

var commitRE = regexp.MustCompile(`^[0-9a-f]{40}$`)

// Check reports what is wrong with the manifest on its own; patchExists
// tells whether a patch file is present.
func (m *Manifest) Check(patchExists func(string) bool) []string {
	var out []string
	seen := map[string]bool{}
	bad := func(e Entry, format string, args ...any) {
		out = append(out, e.Name+": "+fmt.Sprintf(format, args...))
	}
	for _, e := range m.Entries {
		if seen[e.Name] {
			bad(e, "duplicate entry")
		}
		seen[e.Name] = true
		if !slices.Contains([]string{"builtin", "extension", "tool"}, e.Kind) {
			bad(e, "kind %q: want builtin, extension or tool", e.Kind)
		}
		if !e.IsEnabled() && e.DisabledReason == "" {
			bad(e, "disabled without disabled_reason")
		}
		if e.Runtime.Preload && e.Runtime.Library == "" {
			bad(e, "runtime.preload needs runtime.library")
		}
		switch e.Install {
		case "builtin":
			if e.Build.Type != "builtin" || e.Source.Type != "builtin" {
				bad(e, "a builtin entry has source.type and build.type builtin")
			}
		case "pgdg":
			if e.IsEnabled() && (e.PGDG == nil || e.PGDG.Package == "" || e.PGDG.Version == "" || e.PGDG.Arg == "") {
				bad(e, "a pgdg entry needs pgdg.package, pgdg.version and pgdg.arg")
			}
			if e.Build.Type != "pgdg" {
				bad(e, "build.type of a pgdg entry is pgdg")
			}
		case "source":
			if e.Source.Type != "git" || e.Source.Repository == "" || !commitRE.MatchString(e.Source.Commit) {
				bad(e, "a source entry needs source.type git, a repository and a full 40-digit commit")
			}
			if e.Source.Tag == "" && e.Source.Ref == "" {
				bad(e, "a source entry names its tag or ref")
			}
			if !slices.Contains([]string{"pgxs", "bootstrap", "cargo-pgrx"}, e.Build.Type) {
				bad(e, "build.type %q: want pgxs, bootstrap or cargo-pgrx", e.Build.Type)
			}
		default:
			bad(e, "install %q: want builtin, pgdg or source", e.Install)
		}
		for i, p := range e.Build.Patches {
			switch {
			case e.Install != "source":
				bad(e, "patch %d: only source entries are patched", i+1)
			case (p.File == "") == (p.Sed == nil):
				bad(e, "patch %d: want exactly one of file and sed", i+1)
			case p.File != "" && !patchExists(p.File):
				bad(e, "patch %d: %s not found in docker/postgres/patches", i+1, p.File)
			case p.Sed != nil && (p.Sed.File == "" || p.Sed.Anchor == "" || p.Sed.Anchor == p.Sed.Replace):
				bad(e, "patch %d: sed needs a file, an anchor and a different replacement", i+1)
			}
		}
	}
	return out
}
