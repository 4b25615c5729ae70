// Package composelint checks rendered compose files against the KICS
// docker-compose queries, encoded as azagen rules with the KICS query names
// as IDs. KICS itself cannot run here, and several of its queries stay
// silent on files without a top-level version key (which dclint forbids),
// so azagen checks the same properties itself, on the bytes it renders.
package composelint

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/azagen/azagen/internal/diag"
	"github.com/azagen/azagen/internal/rules"
)

// secretKey matches environment keys that carry secrets, like #SecretKey
// in the schema; the rendered file is checked again because derived
// variables never pass through that constraint.
var secretKey = regexp.MustCompile(`(PASSWORD|PASS|SECRET|TOKEN|PRIVATE_KEY)$`)

// requiredRef is the whole value ${NAME:?message}.
var requiredRef = regexp.MustCompile(`^\$\{[A-Z][A-Z0-9_]*:\?[^}]+\}$`)

// defaultRef is a defaulted variable ${NAME:-default}; group 1 is the
// default.
var defaultRef = regexp.MustCompile(`\$\{[A-Z][A-Z0-9_]*:-([^}]*)\}`)

// Check parses one compose file and reports every violated rule at the
// line of the offending service.
func Check(file string, data []byte) diag.List {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil || len(root.Content) == 0 {
		return diag.List{{Rule: rules.KicsParse, Severity: diag.Error, Pos: diag.Position{File: file}, Message: fmt.Sprintf("cannot parse: %v", err)}}
	}
	var out diag.List
	services := get(root.Content[0], "services")
	if services == nil {
		return out
	}
	for i := 0; i+1 < len(services.Content); i += 2 {
		name, svc := services.Content[i], services.Content[i+1]
		report := func(rule, format string, args ...any) {
			out = append(out, diag.Diagnostic{Rule: rule, Severity: diag.Error,
				Pos:     diag.Position{File: file, Line: name.Line, Col: name.Column},
				Message: fmt.Sprintf("service %s: ", name.Value) + fmt.Sprintf(format, args...)})
		}
		secOpts := scalars(get(svc, "security_opt"))
		if get(svc, "security_opt") == nil {
			report(rules.KicsSecurityOptNotSet, "security_opt is not set")
		}
		if !slices.Contains(secOpts, "no-new-privileges:true") {
			report(rules.KicsNoNewPrivilegesNotSet, "security_opt lacks no-new-privileges:true")
		}
		for _, o := range secOpts {
			if strings.Contains(o, "seccomp:unconfined") || strings.Contains(o, "seccomp=unconfined") {
				report(rules.KicsDefaultSeccompProfileDisabled, "seccomp is disabled")
			}
		}
		for key, rule := range map[string]string{"pid": rules.KicsHostNamespaceIsShared, "ipc": rules.KicsSharedHostIpcNamespace,
			"network_mode": rules.KicsSharedHostNetworkNamespace, "userns_mode": rules.KicsSharedHostUserNamespace} {
			if v := get(svc, key); v != nil && v.Value == "host" {
				report(rule, "%s is host", key)
			}
		}
		if v := get(svc, "privileged"); v != nil && v.Value == "true" {
			report(rules.KicsPrivilegedContainersEnabled, "privileged is true")
		}
		if get(svc, "cgroup_parent") != nil {
			report(rules.KicsCgroupNotDefault, "cgroup_parent is set")
		}
		if hc := get(svc, "healthcheck"); hc == nil || (get(hc, "disable") != nil && get(hc, "disable").Value == "true") {
			report(rules.KicsHealthcheckNotSet, "no healthcheck")
		}
		if len(scalars(get(svc, "networks"))) == 0 && get(svc, "networks") == nil {
			report(rules.KicsNetworksNotSet, "joins no network")
		}
		limits := get(get(get(get(svc, "deploy"), "resources"), "limits"), "")
		for key, rule := range map[string]string{"memory": rules.KicsMemoryNotLimited, "cpus": rules.KicsCpusNotLimited, "pids": rules.KicsPidsLimitNotSet} {
			if get(limits, key) == nil {
				report(rule, "deploy.resources.limits.%s is not set", key)
			}
		}
		for _, p := range scalars(get(svc, "ports")) {
			// A tunable host port is ${NAME:-default}; the rules judge
			// the default here, and policy judges the tunable's range.
			p = defaultRef.ReplaceAllString(p, "$1")
			parts := strings.Split(p, ":")
			if len(parts) != 3 || !strings.Contains(parts[0], ".") {
				report(rules.KicsContainerTrafficNotBoundToHostInterface, "port %q is not bound to a host interface", p)
			}
			for _, n := range parts[1:] {
				var port int
				if _, err := fmt.Sscanf(n, "%d", &port); err == nil && port < 1024 {
					report(rules.KicsPrivilegedPortsMappedInContainer, "port %q maps a privileged port", p)
					break
				}
			}
		}
		if env := get(svc, "environment"); env != nil && env.Kind == yaml.MappingNode {
			for i := 0; i+1 < len(env.Content); i += 2 {
				k, v := env.Content[i].Value, env.Content[i+1].Value
				if secretKey.MatchString(k) && !requiredRef.MatchString(v) {
					report(rules.SecretNotLiteral, "%s is not a required reference: a secret would be committed in generated/", k)
				}
			}
		}
		for _, v := range scalars(get(svc, "volumes")) {
			src, _, _ := strings.Cut(v, ":")
			if strings.Contains(src, "docker.sock") {
				report(rules.KicsDockerSocketMountedInContainer, "mounts %s", src)
			}
			if sensitive(src) {
				report(rules.KicsVolumeHasSensitiveHostDirectory, "mounts the host directory %s", src)
			}
		}
	}
	return out
}

var osDirs = []string{"/bin", "/boot", "/dev", "/etc", "/lib", "/lib64", "/proc", "/root", "/sbin", "/sys", "/usr", "/var"}

func sensitive(src string) bool {
	if !strings.HasPrefix(src, "/") {
		return false
	}
	for _, d := range osDirs {
		if src == d || strings.HasPrefix(src, d+"/") {
			return true
		}
	}
	return src == "/"
}

// get returns the value of key in a mapping node; "" returns the node.
func get(n *yaml.Node, key string) *yaml.Node {
	if n == nil || key == "" {
		return n
	}
	if n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

// scalars lists the scalar items of a sequence, or the keys of a mapping.
func scalars(n *yaml.Node) []string {
	if n == nil {
		return nil
	}
	var out []string
	switch n.Kind {
	case yaml.SequenceNode:
		for _, c := range n.Content {
			out = append(out, c.Value)
		}
	case yaml.MappingNode:
		for i := 0; i < len(n.Content); i += 2 {
			out = append(out, n.Content[i].Value)
		}
	}
	return out
}
