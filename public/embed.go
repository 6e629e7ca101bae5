// Package public holds Steward's static files: css, images and small scripts.
package public

import "embed"

// FS holds every static file, served under /static/.
//
//go:embed css
var FS embed.FS
