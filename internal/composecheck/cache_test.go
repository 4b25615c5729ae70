package composecheck

import (
	"context"
	"os"
	"testing"
)

const validCompose = `name: demo
services:
  a:
    image: busybox:1.36
`

// Test binaries carry no VCS stamp, so the cache must refuse to exist.
func TestNoCacheWithoutBuildIdentity(t *testing.T) {
	if c := NewCache(t.TempDir()); c != nil {
		t.Fatalf("a test binary got a cache: %+v", c)
	}
	var c *Cache
	if err := c.Validate(context.Background(), "compose.yaml", ".", "demo", []byte("services: {a: {imag: x}}"), nil); err == nil {
		t.Fatal("a nil cache skipped validation")
	}
}

func TestCacheRemembersOnlySuccesses(t *testing.T) {
	dir := t.TempDir()
	c := &Cache{dir: dir, identity: "rev/v2"}
	ctx := context.Background()
	if err := c.Validate(ctx, "compose.yaml", ".", "demo", []byte(validCompose), map[string]string{"A": "1"}); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Fatalf("%d cache entries after one success, want 1", len(entries))
	}
	bad := []byte("name: demo\nservices:\n  a:\n    imag: x\n")
	for range 2 {
		if err := c.Validate(ctx, "compose.yaml", ".", "demo", bad, nil); err == nil {
			t.Fatal("invalid file passed")
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Fatalf("a failure was cached: %d entries", len(entries))
	}
	// Every input is part of the key.
	base := c.key("compose.yaml", ".", "demo", []byte(validCompose), map[string]string{"A": "1"})
	for name, k := range map[string]string{
		"file":     c.key("other.yaml", ".", "demo", []byte(validCompose), map[string]string{"A": "1"}),
		"dir":      c.key("compose.yaml", "x", "demo", []byte(validCompose), map[string]string{"A": "1"}),
		"project":  c.key("compose.yaml", ".", "other", []byte(validCompose), map[string]string{"A": "1"}),
		"content":  c.key("compose.yaml", ".", "demo", []byte(validCompose+"\n"), map[string]string{"A": "1"}),
		"env":      c.key("compose.yaml", ".", "demo", []byte(validCompose), map[string]string{"A": "2"}),
		"identity": (&Cache{identity: "rev2/v2"}).key("compose.yaml", ".", "demo", []byte(validCompose), map[string]string{"A": "1"}),
	} {
		if k == base {
			t.Errorf("changing the %s does not change the key", name)
		}
	}
}
