// Package views holds Steward's HTML templates: layouts/, partials/ and one
// folder per area. They are parsed once at start from this embedded FS.
package views

import "embed"

// FS holds every template.
//
//go:embed *
var FS embed.FS
