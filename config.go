package minsheng

import "embed"

// defaults holds the data files the binary ships with: the source registry, the demo county
// profile and the yearly target registries. A county replaces any of them with its own files.
//
//go:embed config
var defaults embed.FS
