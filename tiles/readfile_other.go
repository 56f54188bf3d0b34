//go:build !unix

package tiles

import "os"

// readFileInto reads the file at name (see the unix version).
func readFileInto(name string, _ []byte) ([]byte, error) { return os.ReadFile(name) }
