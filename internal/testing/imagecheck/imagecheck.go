// Package imagecheck holds static checks of the image sources in
// docker/postgres: the Dockerfile (every ARG used, every apt package and
// base image pinned, nothing piped from the network into a shell) and the
// extension manifest. The checks run as tests; the functions are plain so
// that the tests can also feed them broken Dockerfiles.
package imagecheck

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// Instruction is one Dockerfile instruction with its continuation lines
// joined and comment lines dropped.
type Instruction struct {
	Line  int    // 1-based line of the keyword
	Cmd   string // upper case: FROM, RUN, ARG, ...
	Args  string
	Stage int // -1 before the first FROM, else the index of the stage
}

// Finding is one problem, at a line of the Dockerfile.
type Finding struct {
	Line int
	Msg  string
}

func (f Finding) String() string { return fmt.Sprintf("line %d: %s", f.Line, f.Msg) }

// Parse splits a Dockerfile into instructions. It understands what the
// aza-pg Dockerfile uses: line continuations with a trailing backslash,
// comment lines (also between continued lines) and heredoc-free RUNs.
func Parse(src string) []Instruction {
	var out []Instruction
	stage := -1
	lines := strings.Split(src, "\n")
	for i := 0; i < len(lines); i++ {
		line := strings.TrimSpace(lines[i])
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		start := i + 1
		var b strings.Builder
		for {
			cont := strings.HasSuffix(line, "\\")
			b.WriteString(strings.TrimSuffix(line, "\\"))
			if !cont || i+1 >= len(lines) {
				break
			}
			b.WriteString(" ")
			i++
			line = strings.TrimSpace(lines[i])
			for strings.HasPrefix(line, "#") && i+1 < len(lines) {
				i++
				line = strings.TrimSpace(lines[i])
			}
		}
		full := b.String()
		cmd, args, _ := strings.Cut(full, " ")
		cmd = strings.ToUpper(cmd)
		if cmd == "FROM" {
			stage++
		}
		out = append(out, Instruction{Line: start, Cmd: cmd, Args: strings.Join(strings.Fields(args), " "), Stage: stage})
	}
	return out
}

// Arg is an ARG declaration.
type Arg struct {
	Name       string
	Default    string
	HasDefault bool
	Line       int
	Stage      int
}

// Args lists every ARG declaration.
func Args(ins []Instruction) []Arg {
	var out []Arg
	for _, in := range ins {
		if in.Cmd != "ARG" {
			continue
		}
		name, def, has := strings.Cut(in.Args, "=")
		out = append(out, Arg{Name: name, Default: def, HasDefault: has, Line: in.Line, Stage: in.Stage})
	}
	return out
}

func refersTo(s, name string) bool {
	return regexp.MustCompile(`\$\{` + regexp.QuoteMeta(name) + `([:}]|$)|\$` + regexp.QuoteMeta(name) + `\b`).MatchString(s)
}

// UnusedArgs reports every ARG nothing refers to: a stage ARG unused in its
// stage, a global ARG neither used by a FROM nor re-declared and used by a
// stage.
func UnusedArgs(ins []Instruction) []Finding {
	var out []Finding
	usedIn := func(stage int, name string) bool {
		for _, in := range ins {
			if in.Stage == stage && in.Cmd != "ARG" && refersTo(in.Args, name) {
				return true
			}
		}
		return false
	}
	for _, a := range Args(ins) {
		used := false
		if a.Stage >= 0 {
			used = usedIn(a.Stage, a.Name)
		} else {
			for _, in := range ins {
				if in.Cmd == "FROM" && refersTo(in.Args, a.Name) {
					used = true
				}
			}
			for _, b := range Args(ins) {
				if b.Stage >= 0 && b.Name == a.Name && usedIn(b.Stage, a.Name) {
					used = true
				}
			}
		}
		if !used {
			out = append(out, Finding{a.Line, fmt.Sprintf("ARG %s is never used", a.Name)})
		}
	}
	return out
}

var (
	digestFrom = regexp.MustCompile(`^(--platform=\S+ )?[a-z0-9./_-]+(:[A-Za-z0-9_.-]+)?@sha256:[a-f0-9]{64}( AS [A-Za-z0-9_.-]+)?$`)
	stageFrom  = regexp.MustCompile(`^(--platform=\S+ )?([A-Za-z0-9_.-]+)( AS [A-Za-z0-9_.-]+)?$`)
)

// UnpinnedFroms reports every FROM that is neither pinned by digest nor an
// earlier stage of the same Dockerfile.
func UnpinnedFroms(ins []Instruction) []Finding {
	var out []Finding
	stages := map[string]bool{}
	for _, in := range ins {
		if in.Cmd != "FROM" {
			continue
		}
		args := regexp.MustCompile(`(?i) as `).ReplaceAllString(in.Args, " AS ")
		if m := stageFrom.FindStringSubmatch(args); m != nil && stages[strings.ToLower(m[2])] {
			// FROM an earlier stage
		} else if !digestFrom.MatchString(args) {
			out = append(out, Finding{in.Line, fmt.Sprintf("FROM %s is not pinned by digest (image:tag@sha256:...)", in.Args)})
		}
		if _, name, ok := strings.Cut(args, " AS "); ok {
			stages[strings.ToLower(name)] = true
		}
	}
	return out
}

// BaseImageEnv are variables the pinned base image (the official postgres
// image) sets with ENV and the Dockerfile may use as pins: PG_VERSION is the
// exact PGDG version of the server the image carries.
var BaseImageEnv = []string{"PG_MAJOR", "PG_VERSION"}

var (
	pinnedPkg = regexp.MustCompile(`^([a-z0-9][a-z0-9.+-]*)=(\$\{([A-Za-z_][A-Za-z0-9_]*)\}|[A-Za-z0-9.+:~-]+)$`)
	splitCmds = regexp.MustCompile(`&&|\|\||;|\|`)
)

// AptPackage is one package of an apt-get install.
type AptPackage struct {
	Name, Version, Var string
	Line, Stage        int
}

// AptInstalls lists the packages of every apt-get install, and reports every
// one that is not pinned as pkg=version or pkg=${VAR} with VAR an ARG of
// the stage that has a default (its own or a global one) or a variable of
// the base image.
func AptInstalls(ins []Instruction) ([]AptPackage, []Finding) {
	var pkgs []AptPackage
	var out []Finding
	args := Args(ins)
	declared := func(stage int, name string) bool {
		if slices.Contains(BaseImageEnv, name) {
			return true
		}
		for _, a := range args {
			if a.Stage != stage || a.Name != name {
				continue
			}
			if a.HasDefault && a.Default != "" {
				return true
			}
			for _, g := range args {
				if g.Stage == -1 && g.Name == name && g.HasDefault && g.Default != "" {
					return true
				}
			}
		}
		return false
	}
	for _, in := range ins {
		if in.Cmd != "RUN" {
			continue
		}
		for _, seg := range splitCmds.Split(in.Args, -1) {
			words := strings.Fields(seg)
			i := slices.Index(words, "apt-get")
			if i < 0 {
				continue
			}
			rest := words[i+1:]
			j := slices.IndexFunc(rest, func(w string) bool { return !strings.HasPrefix(w, "-") })
			if j < 0 || rest[j] != "install" {
				continue
			}
			for _, w := range rest[j+1:] {
				if strings.HasPrefix(w, "-") {
					continue
				}
				if strings.Contains(w, "$(") || strings.Contains(w, "`") {
					out = append(out, Finding{in.Line, "apt-get install takes packages from a command substitution, whose pins cannot be checked: list them as pkg=${VERSION_ARG}"})
					break
				}
				m := pinnedPkg.FindStringSubmatch(w)
				switch {
				case m == nil:
					out = append(out, Finding{in.Line, fmt.Sprintf("apt package %s is not pinned: write %s=${VERSION_ARG}", w, w)})
				case m[3] != "" && !declared(in.Stage, m[3]):
					out = append(out, Finding{in.Line, fmt.Sprintf("apt package %s: %s is not an ARG with a default in this stage, so the pin would expand to nothing", w, m[3])})
				default:
					pkgs = append(pkgs, AptPackage{Name: m[1], Version: m[2], Var: m[3], Line: in.Line, Stage: in.Stage})
				}
			}
		}
	}
	return pkgs, out
}

var pipeToShell = regexp.MustCompile(`\b(curl|wget)\b[^;&]*\|\s*(sudo\s+)?(\S*/)?(ba|da|z|k)?sh\b`)

// PipesToShell reports a download piped into a shell.
func PipesToShell(ins []Instruction) []Finding {
	var out []Finding
	for _, in := range ins {
		if in.Cmd == "RUN" && pipeToShell.MatchString(in.Args) {
			out = append(out, Finding{in.Line, "a download is piped into a shell: fetch a pinned file, check its sha256, then run it"})
		}
	}
	return out
}

// Healthcheck is a parsed HEALTHCHECK instruction.
type Healthcheck struct {
	Options map[string]string // interval, timeout, start-period, retries, ...
	Test    []string          // "CMD", then the command
}

// ParseHealthcheck reads the last HEALTHCHECK of the final stage.
func ParseHealthcheck(ins []Instruction) (Healthcheck, error) {
	last := -1
	for i, in := range ins {
		if in.Cmd == "HEALTHCHECK" {
			last = i
		}
	}
	if last < 0 {
		return Healthcheck{}, fmt.Errorf("no HEALTHCHECK")
	}
	h := Healthcheck{Options: map[string]string{}}
	rest := ins[last].Args
	for strings.HasPrefix(rest, "--") {
		opt, r, _ := strings.Cut(rest, " ")
		k, v, _ := strings.Cut(strings.TrimPrefix(opt, "--"), "=")
		h.Options[k] = v
		rest = r
	}
	kind, cmd, _ := strings.Cut(rest, " ")
	if kind != "CMD" {
		return h, fmt.Errorf("HEALTHCHECK %s: want CMD", kind)
	}
	var argv []string
	if err := json.Unmarshal([]byte(cmd), &argv); err != nil {
		return h, fmt.Errorf("HEALTHCHECK CMD must be a JSON array (exec form): %v", err)
	}
	h.Test = append([]string{"CMD"}, argv...)
	return h, nil
}

// ExecForm returns the JSON array of the last instruction cmd (ENTRYPOINT,
// CMD).
func ExecForm(ins []Instruction, cmd string) ([]string, error) {
	for i := len(ins) - 1; i >= 0; i-- {
		if ins[i].Cmd == cmd {
			var argv []string
			if err := json.Unmarshal([]byte(ins[i].Args), &argv); err != nil {
				return nil, fmt.Errorf("%s must be a JSON array (exec form): %v", cmd, err)
			}
			return argv, nil
		}
	}
	return nil, fmt.Errorf("no %s", cmd)
}

// CopySources lists the local source paths of every COPY/ADD (not --from).
func CopySources(ins []Instruction) map[string]int {
	out := map[string]int{}
	for _, in := range ins {
		if in.Cmd != "COPY" && in.Cmd != "ADD" {
			continue
		}
		words := strings.Fields(in.Args)
		var paths []string
		from := false
		for _, w := range words {
			if strings.HasPrefix(w, "--from=") {
				from = true
			}
			if !strings.HasPrefix(w, "--") {
				paths = append(paths, w)
			}
		}
		if from || len(paths) < 2 {
			continue
		}
		for _, p := range paths[:len(paths)-1] {
			out[p] = in.Line
		}
	}
	return out
}
