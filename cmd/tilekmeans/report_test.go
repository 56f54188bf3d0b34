package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tilekmeans/tilekmeans/internal/sharedtest"
)

// chromium returns the headless browser for report tests: $TILEKMEANS_CHROMIUM,
// else chromium on PATH (Debian package chromium, which .ci/deps installs).
// Without one the test skips, except under CI=true, where it fails.
func chromium(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("TILEKMEANS_CHROMIUM"); p != "" {
		return p
	}
	p, err := exec.LookPath("chromium")
	if err != nil {
		sharedtest.Missing(t, "chromium not found (Debian package chromium; .ci/deps installs it)")
	}
	return p
}

// browse runs headless Chromium on a file with extra arguments, bounded in
// time, and returns its stdout.
func browse(t *testing.T, browser, file string, args ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	abs, err := filepath.Abs(file)
	if err != nil {
		t.Fatal(err)
	}
	all := append([]string{
		"--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--hide-scrollbars", "--user-data-dir=" + t.TempDir(),
	}, args...)
	cmd := exec.CommandContext(ctx, browser, append(all, "file://"+abs)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %v: %v (timeout: %v)\n%s", browser, args, err, ctx.Err() != nil, tail(stderr.String(), 2000))
	}
	return stdout.Bytes()
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

// TestReportInBrowser opens report.html of a run on the embedded data in
// headless Chromium: the DOM it builds has every section, and a screenshot
// shows a styled page with its images drawn. Set
// TILEKMEANS_KEEP_SCREENSHOT=file.png to keep the screenshot.
func TestReportInBrowser(t *testing.T) {
	browser := chromium(t)
	t.Chdir(t.TempDir())
	code, _, stderr := runCLI(t, "run", "-q", "-backend", "cpu", "-k", "3-5")
	if code != exitOK || stderr != "" {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	report := filepath.Join("centroids", "report.html")
	raw, err := os.ReadFile(report)
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"http://", "https://", "<script", "<link"} {
		if bytes.Contains(raw, []byte(bad)) {
			t.Errorf("report.html contains %q: it must need nothing from outside", bad)
		}
	}

	dom := string(browse(t, browser, report, "--dump-dom"))
	for _, want := range []string{
		`<section id="run">`, `<section id="elbow">`, `alt="Elbow plot: inertia against k"`,
		`<section id="k3" class="k">`, `<section id="k4" class="k">`, `<section id="k5" class="k">`,
		`<th>mnist_1.png</th>`, "purity", "NMI", "ARI", "nearest 20", "farthest 20 (outliers)",
		"<th>backend</th><td>cpu</td>", "<th>seed</th><td>0</td>", "<th>init</th><td>random</td>",
		"<th>blank tiles</th>", "<th>clustering time</th>",
	} {
		if !strings.Contains(dom, want) {
			t.Errorf("DOM lacks %q", want)
		}
	}
	if n := strings.Count(dom, `<table class="heat confusion">`); n != 3 {
		t.Errorf("%d heat maps, want 3", n)
	}
	if n := strings.Count(dom, "<figure "); n != 2*20*(3+4+5) {
		t.Errorf("%d tile figures, want %d", n, 2*20*(3+4+5))
	}

	shot := filepath.Join(t.TempDir(), "report.png")
	browse(t, browser, report, "--screenshot="+shot, "--window-size=1280,2000")
	data, err := os.ReadFile(shot)
	if err != nil {
		t.Fatalf("no screenshot: %v", err)
	}
	if keep := os.Getenv("TILEKMEANS_KEEP_SCREENSHOT"); keep != "" {
		if err := os.WriteFile(keep, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	checkScreenshot(t, img)
}

// checkScreenshot checks that a screenshot of the report shows a rendered,
// styled page: not blank, the dark header across the top, and the elbow
// plot's blue line (an inline image that decoded).
func checkScreenshot(t *testing.T, img image.Image) {
	t.Helper()
	b := img.Bounds()
	if b.Dx() != 1280 || b.Dy() != 2000 {
		t.Errorf("screenshot is %v, want 1280x2000", b)
	}
	var sum, sum2 float64
	blue, dark := 0, 0
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			r, g, bl = r>>8, g>>8, bl>>8
			l := 0.299*float64(r) + 0.587*float64(g) + 0.114*float64(bl)
			sum += l
			sum2 += l * l
			if bl > 140 && r < 80 && g < 130 && bl > r+60 {
				blue++
			}
			if y < b.Min.Y+40 && l < 60 {
				dark++
			}
		}
	}
	n := float64(b.Dx() * b.Dy())
	if v := sum2/n - (sum/n)*(sum/n); v < 200 {
		t.Errorf("screenshot luminance variance %.1f: the page looks blank", v)
	}
	if dark < b.Dx()*40/2 {
		t.Errorf("%d dark pixels in the top 40 rows: the header's style is missing", dark)
	}
	if blue < 300 {
		t.Errorf("%d blue pixels: the elbow plot (an inline PNG) did not render", blue)
	}
}

func TestReportAndElbowWritten(t *testing.T) {
	t.Chdir(t.TempDir())
	code, _, stderr := runCLI(t, "run", "-q", "-backend", "cpu", "-k", "2,4", "-iters", "5", "-out", "o")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	elbow := decodePNG(t, filepath.Join("o", "elbow.png"))
	if elbow.Bounds().Dx() != 720 || elbow.Bounds().Dy() != 400 {
		t.Errorf("elbow.png is %v", elbow.Bounds())
	}
	html, err := os.ReadFile(filepath.Join("o", "report.html"))
	if err != nil {
		t.Fatal(err)
	}
	s := string(html)
	for _, want := range []string{`<section id="k2" class="k">`, `<section id="k4" class="k">`, "<th>max iterations</th><td>5 (stops at the fixed point)</td>"} {
		if !strings.Contains(s, want) {
			t.Errorf("report.html lacks %q", want)
		}
	}
	if strings.Contains(s, `id="k3"`) {
		t.Error("report.html shows k=3, which did not run")
	}
	// The elbow in the page is elbow.png's bytes.
	raw, _ := os.ReadFile(filepath.Join("o", "elbow.png"))
	if !strings.Contains(s, "data:image/png;base64,"+base64.StdEncoding.EncodeToString(raw)+`"`) {
		t.Error("the report's elbow plot is not elbow.png")
	}
}
