package composelint

import (
	"strings"
	"testing"
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
		"kics/security_opt_not_set":                          {"    security_opt:\n      - no-new-privileges:true\n", ""},
		"kics/no_new_privileges_not_set":                     {"no-new-privileges:true", "no-new-privileges=true"},
		"kics/default_seccomp_profile_disabled":              {"      - no-new-privileges:true\n", "      - no-new-privileges:true\n      - seccomp:unconfined\n"},
		"kics/privileged_containers_enabled":                 {"    networks:", "    privileged: true\n    networks:"},
		"kics/shared_host_network_namespace":                 {"    networks:", "    network_mode: host\n    networks:"},
		"kics/host_namespace_is_shared":                      {"    networks:", "    pid: host\n    networks:"},
		"kics/shared_host_ipc_namespace":                     {"    networks:", "    ipc: host\n    networks:"},
		"kics/shared_host_user_namespace":                    {"    networks:", "    userns_mode: host\n    networks:"},
		"kics/cgroup_not_default":                            {"    networks:", "    cgroup_parent: x\n    networks:"},
		"kics/healthcheck_not_set":                           {"    healthcheck:\n      test: [CMD, \"true\"]\n", ""},
		"kics/networks_not_set":                              {"    networks:\n      - n\n", ""},
		"kics/memory_not_limited":                            {"          memory: 64m\n", ""},
		"kics/cpus_not_limited":                              {"          cpus: '1'\n", ""},
		"kics/pids_limit_not_set":                            {"          pids: 64\n", ""},
		"kics/container_traffic_not_bound_to_host_interface": {"'127.0.0.1:8080:8080'", "'8080:8080'"},
		"kics/privileged_ports_mapped_in_container":          {"'127.0.0.1:8080:8080'", "'127.0.0.1:80:8080'"},
		"kics/docker_socket_mounted_in_container":            {"    networks:", "    volumes:\n      - /run/docker.sock:/x\n    networks:"},
		"kics/volume_has_sensitive_host_directory":           {"    networks:", "    volumes:\n      - /etc:/x\n    networks:"},
		"secret-not-literal":                                 {"${DB_PASSWORD:?set DB_PASSWORD}", "${DB_PASSWORD:-hunter2}"},
	}
	if len(cases) != len(Rules) {
		t.Fatalf("%d cases for %d rules", len(cases), len(Rules))
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
