// Package templates embeds the text templates azagen renders files from.
// Every *.tmpl file of this directory is included.
package templates

import "embed"

// FS holds the templates, by file name.
//
//go:embed *.tmpl
var FS embed.FS
