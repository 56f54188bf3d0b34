package main

import (
	"fmt"
	"io"
	"os"
	"slices"
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
	fmt.Fprintf(p.w, "k=%d: %d iterations (%s), inertia %.6g, sizes %s, %.3f s\n",
		res.K, res.Iterations, state, res.Inertia, sizesText(res.Sizes, "summary.json"), secs)
}

// maxListedSizes is the most cluster sizes a line lists; beyond it the
// line gives their range and median and where to find them all.
const maxListedSizes = 32

// sizesText is the cluster sizes for a line on stderr: "[12 7 9]", or for
// more than maxListedSizes clusters "1..345, median 3, 12 empty (all
// 20000 in summary.json)" (where says the file that lists them).
func sizesText(sizes []int, where string) string {
	if len(sizes) <= maxListedSizes {
		return fmt.Sprint(sizes)
	}
	s := slices.Sorted(slices.Values(sizes))
	empty := 0
	for empty < len(s) && s[empty] == 0 {
		empty++
	}
	text := fmt.Sprintf("%d..%d, median %d", s[0], s[len(s)-1], s[len(s)/2])
	if empty > 0 {
		text += fmt.Sprintf(", %d empty", empty)
	}
	return fmt.Sprintf("%s (all %d in %s)", text, len(sizes), where)
}
