package compile

import (
	"context"
	"testing"

	"github.com/azagen/azagen/internal/load"
	"github.com/azagen/azagen/internal/model"
	"github.com/azagen/azagen/internal/normalize"
	"github.com/azagen/azagen/internal/output"
	"github.com/azagen/azagen/internal/policy"
	"github.com/azagen/azagen/internal/render"
)

const repoStacks = "../../stacks.cue"

// BenchmarkCompile is the whole pipeline on the repository's stacks.cue.
func BenchmarkCompile(b *testing.B) {
	for b.Loop() {
		res, err := Compile(context.Background(), []string{repoStacks})
		if err != nil || res.Diags.HasErrors() {
			b.Fatal(err, res.Diags)
		}
	}
}

func loaded(b *testing.B) (*load.Source, *model.Config) {
	src, diags, err := load.Files([]string{repoStacks})
	if err != nil || diags.HasErrors() {
		b.Fatal(err, diags)
	}
	cfg, err := model.Decode(src.Value)
	if err != nil {
		b.Fatal(err)
	}
	return src, cfg
}

// BenchmarkLoad is CUE evaluation and validation alone.
func BenchmarkLoad(b *testing.B) {
	for b.Loop() {
		if _, d, err := load.Files([]string{repoStacks}); err != nil || d.HasErrors() {
			b.Fatal(err, d)
		}
	}
}

// BenchmarkDecode is the CUE-to-Go decoding.
func BenchmarkDecode(b *testing.B) {
	src, _ := loaded(b)
	for b.Loop() {
		if _, err := model.Decode(src.Value); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPolicy is normalization plus every policy rule.
func BenchmarkPolicy(b *testing.B) {
	src, _ := loaded(b)
	for b.Loop() {
		b.StopTimer()
		cfg, _ := model.Decode(src.Value)
		b.StartTimer()
		normalize.Normalize(cfg, src)
		policy.Check(cfg, src)
	}
}

// BenchmarkRender is every renderer.
func BenchmarkRender(b *testing.B) {
	src, cfg := loaded(b)
	normalize.Normalize(cfg, src)
	for b.Loop() {
		if _, err := render.All(cfg); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkValidate is compose-go's two passes and the KICS rules.
func BenchmarkValidate(b *testing.B) {
	src, cfg := loaded(b)
	normalize.Normalize(cfg, src)
	set, err := render.All(cfg)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if d := validateCompose(context.Background(), nil, cfg, set, src); d.HasErrors() {
			b.Fatal(d)
		}
	}
}

// BenchmarkDiff is check's comparison with an up-to-date tree.
func BenchmarkDiff(b *testing.B) {
	res, err := Compile(context.Background(), []string{repoStacks})
	if err != nil {
		b.Fatal(err)
	}
	dir := b.TempDir()
	if _, err := output.Write(dir, res.Output); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if d, err := output.Check(dir, dir, res.Output); err != nil || !d.Clean() {
			b.Fatal(err, d)
		}
	}
}
