// Package demo embeds the demo shop "Lumen & Loom": its knowledge documents
// (English and Chinese), products and orders, authored for this project.
// `kefu seed --demo` loads them.
package demo

import "embed"

// FS holds docs/*.md, products.json and orders.json.
//
//go:embed docs/*.md products.json orders.json answer-tests.json
var FS embed.FS

// Site is the demo site's name; seeding finds the demo site by it.
const Site = "Lumen & Loom (demo)"
