//go:build !linux

package tiles

import (
	"context"
	"fmt"
	"os"
)

// readFileInto reads the file at name whole (see the Linux version): a
// regular file with os.ReadFile, any other by readStream's rules.
func readFileInto(ctx context.Context, name string, _ []byte) ([]byte, error) {
	st, err := os.Stat(name)
	if err != nil {
		return nil, fmt.Errorf("load %w", err)
	}
	if !st.Mode().IsRegular() {
		return readStream(ctx, name, st.Mode())
	}
	data, err := os.ReadFile(name)
	if err != nil {
		return nil, fmt.Errorf("load %w", err)
	}
	return data, nil
}
