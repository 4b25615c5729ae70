package main

import (
	"bytes"
	"context"
	"io"
	"path/filepath"

	"github.com/azagen/azagen/internal/docs"
	"github.com/azagen/azagen/internal/resultcache"
)

// checkResultCache is the name of the check-result cache directory.
const checkResultCache = "check-result"

// resultKey is the key of this check's result: the binary, the CUE inputs,
// every flag that changes the result, and the docs files by name.
func (a *app) resultKey() (resultcache.Key, error) {
	out, err := filepath.Abs(a.out())
	if err != nil {
		return resultcache.Key{}, err
	}
	root, err := filepath.Abs(a.root())
	if err != nil {
		return resultcache.Key{}, err
	}
	files, err := docs.Files(a.root())
	if err != nil {
		return resultcache.Key{}, err
	}
	return resultcache.Key{
		Identity: a.identity,
		Inputs:   a.inputs(),
		Flags:    []string{"out=" + out, "root=" + root, "format=" + a.format},
		Docs:     files,
	}, nil
}

// checkCached runs check through the check-result cache: a hit replays
// the clean run's output; a clean run (no diagnostic, exit 0) is stored
// with every output and docs file it compared and every path the
// dead-reference check looked at. Anything else runs and prints as usual.
func (a *app) checkCached(ctx context.Context) error {
	cache := resultcache.Open(a.cacheSubdir(checkResultCache))
	if cache == nil || a.identity == "" {
		return a.doCheck(ctx, nil)
	}
	key, err := a.resultKey()
	if err != nil {
		return a.doCheck(ctx, nil)
	}
	if e := cache.Lookup(key); e != nil {
		io.WriteString(a.stdout, e.Stdout)
		io.WriteString(a.stderr, e.Stderr)
		return nil
	}
	var stdout, stderr bytes.Buffer
	realOut, realErr := a.stdout, a.stderr
	a.stdout, a.stderr = io.MultiWriter(realOut, &stdout), io.MultiWriter(realErr, &stderr)
	a.refsSeen = map[string]bool{}
	defer func() { a.stdout, a.stderr, a.refsSeen = realOut, realErr, nil }()
	var clean *cleanRun
	if err := a.doCheck(ctx, func(c *cleanRun) { clean = c }); err != nil || clean == nil {
		return err
	}
	e := resultcache.Entry{Exists: map[string]bool{}, Stdout: stdout.String(), Stderr: stderr.String()}
	// Absolute paths: the key holds absolute paths too, so the same entry
	// is found from another working directory.
	for _, p := range clean.files {
		p, err := filepath.Abs(p)
		if err != nil {
			return nil
		}
		f, err := resultcache.Stat(p)
		if err != nil {
			return nil // changed under us: do not remember anything
		}
		e.Files = append(e.Files, f)
	}
	for rel := range a.refsSeen {
		p, err := filepath.Abs(filepath.Join(a.root(), filepath.FromSlash(rel)))
		if err != nil {
			return nil
		}
		e.Exists[p] = resultcache.Exists(p)
	}
	_ = cache.Store(key, e) // a cache that cannot be written only costs time
	return nil
}

// cleanRun is what a check without any diagnostic compared: the paths of
// every output file and every docs file.
type cleanRun struct{ files []string }
