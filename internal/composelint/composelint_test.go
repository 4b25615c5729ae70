package composelint

import (
	"strings"
	"testing"

	"github.com/azagen/azagen/internal/rules"
)

const clean = `name: x
services:
  a:
    image: busybox:1@sha256:0000000000000000000000000000000000000000000000000000000000000000
    ports:
      - '127.0.0.1:8080:8080'
    networks:
      - n
    healthcheck:
      test: [CMD, "true"]
    deploy:
      resources:
        limits:
          cpus: '1'
          memory: 64m
          pids: 64
    security_opt:
      - no-new-privileges:true
    environment:
      DB_PASSWORD: ${DB_PASSWORD:?set DB_PASSWORD}
`

func TestCleanFileHasNoFindings(t *testing.T) {
	if d := Check("compose.yaml", []byte(clean)); len(d) != 0 {
		t.Fatalf("unexpected findings: %v", d)
	}
}

// Each mutation of the clean file must trip exactly the named rule, which
// proves every rule can fail.
func TestEachRuleFires(t *testing.T) {
	cases := map[string]struct{ old, new string }{
		rules.KicsSecurityOptNotSet:                       {"    security_opt:\n      - no-new-privileges:true\n", ""},
		rules.KicsNoNewPrivilegesNotSet:                   {"no-new-privileges:true", "no-new-privileges=true"},
		rules.KicsDefaultSeccompProfileDisabled:           {"      - no-new-privileges:true\n", "      - no-new-privileges:true\n      - seccomp:unconfined\n"},
		rules.KicsPrivilegedContainersEnabled:             {"    networks:", "    privileged: true\n    networks:"},
		rules.KicsSharedHostNetworkNamespace:              {"    networks:", "    network_mode: host\n    networks:"},
		rules.KicsHostNamespaceIsShared:                   {"    networks:", "    pid: host\n    networks:"},
		rules.KicsSharedHostIpcNamespace:                  {"    networks:", "    ipc: host\n    networks:"},
		rules.KicsSharedHostUserNamespace:                 {"    networks:", "    userns_mode: host\n    networks:"},
		rules.KicsCgroupNotDefault:                        {"    networks:", "    cgroup_parent: x\n    networks:"},
		rules.KicsHealthcheckNotSet:                       {"    healthcheck:\n      test: [CMD, \"true\"]\n", ""},
		rules.KicsNetworksNotSet:                          {"    networks:\n      - n\n", ""},
		rules.KicsMemoryNotLimited:                        {"          memory: 64m\n", ""},
		rules.KicsCpusNotLimited:                          {"          cpus: '1'\n", ""},
		rules.KicsPidsLimitNotSet:                         {"          pids: 64\n", ""},
		rules.KicsContainerTrafficNotBoundToHostInterface: {"'127.0.0.1:8080:8080'", "'8080:8080'"},
		rules.KicsPrivilegedPortsMappedInContainer:        {"'127.0.0.1:8080:8080'", "'127.0.0.1:80:8080'"},
		rules.KicsDockerSocketMountedInContainer:          {"    networks:", "    volumes:\n      - /run/docker.sock:/x\n    networks:"},
		rules.KicsVolumeHasSensitiveHostDirectory:         {"    networks:", "    volumes:\n      - /etc:/x\n    networks:"},
		rules.SecretNotLiteral:                            {"${DB_PASSWORD:?set DB_PASSWORD}", "${DB_PASSWORD:-hunter2}"},
	}
	// Every rendered-file rule but kics/parse has a case.
	want := 0
	for _, r := range rules.All {
		if r.Stage == rules.StageRendered && r.ID != rules.KicsParse {
			want++
		}
	}
	if len(cases) != want {
		t.Fatalf("%d cases for %d rules", len(cases), want)
	}
	for rule, m := range cases {
		t.Run(rule, func(t *testing.T) {
			if !strings.Contains(clean, m.old) {
				t.Fatalf("fixture lacks %q", m.old)
			}
			d := Check("compose.yaml", []byte(strings.Replace(clean, m.old, m.new, 1)))
			found := false
			for _, x := range d {
				if x.Rule == rule {
					found = true
					if x.Pos.Line != 3 {
						t.Errorf("position %v, want line 3 (the service)", x.Pos)
					}
				}
			}
			if !found {
				t.Fatalf("rule %s did not fire; got %v", rule, d)
			}
		})
	}
}
