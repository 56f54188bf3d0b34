package main

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/tilekmeans/tilekmeans/kmeans"
)

// progress reports a k-means run on stderr: a live, rewritten line on a
// terminal, one line per iteration with -v, and one line per k otherwise.
type progress struct {
	w       io.Writer
	live    bool
	verbose bool
	iters   int
	dirty   bool // a live line is on screen
	start   time.Time
}

func newProgress(w io.Writer, verbose bool, iters int) *progress {
	return &progress{w: w, live: !verbose && isTerminal(w), verbose: verbose, iters: iters, start: time.Now()}
}

// isTerminal reports whether w is a character device (a terminal).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

func (p *progress) step(s kmeans.Progress) {
	line := fmt.Sprintf("k=%d", s.K)
	if s.Restart > 0 {
		line += fmt.Sprintf(" restart %d", s.Restart+1)
	}
	line += fmt.Sprintf("  iter %d/%d  changed %d  inertia %.6g", s.Iter, p.iters, s.Changed, s.Inertia)
	switch {
	case p.verbose:
		fmt.Fprintln(p.w, line)
	case p.live:
		fmt.Fprintf(p.w, "\r\033[K%s", line)
		p.dirty = true
	}
}

func (p *progress) clear() {
	if p.dirty {
		fmt.Fprint(p.w, "\r\033[K")
		p.dirty = false
	}
}

func (p *progress) abort() {
	if p.dirty {
		fmt.Fprintln(p.w)
		p.dirty = false
	}
}

func (p *progress) done(res *kmeans.Result) {
	secs := time.Since(p.start).Seconds()
	p.clear()
	state := "converged"
	if !res.Converged {
		state = "not converged"
	}
	fmt.Fprintf(p.w, "k=%d: %d iterations (%s), inertia %.6g, sizes %v, %.3f s\n",
		res.K, res.Iterations, state, res.Inertia, res.Sizes, secs)
}
