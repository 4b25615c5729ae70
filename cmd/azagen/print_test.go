package main

import (
	"testing"

	"github.com/azagen/azagen/internal/diag"
)

// The runner splits properties at ',' and a property at ':', and reads %XX
// escapes in both parts; CR and LF would end the command.
func TestGitHubAnnotationEscapes(t *testing.T) {
	d := diag.Diagnostic{Rule: "drift", Severity: diag.Error,
		Pos:     diag.Position{File: "gen,x:y/100%\r\n.yaml", Line: 3, Col: 7},
		Message: "a:b,c 100% done\r\nnext line"}
	want := "::error file=gen%2Cx%3Ay/100%25%0D%0A.yaml,line=3,col=7,title=azagen drift::a:b,c 100%25 done%0D%0Anext line"
	if got := githubAnnotation(d); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	w := diag.Diagnostic{Rule: "x", Severity: diag.Warning, Message: "m"}
	if got, want := githubAnnotation(w), "::warning title=azagen x::m"; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
}
