package main

import (
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/tilekmeans/tilekmeans/cmd/tilekmeans/internal/outdir"
	"github.com/tilekmeans/tilekmeans/cmd/tilekmeans/internal/outfiles"
	htmlreport "github.com/tilekmeans/tilekmeans/cmd/tilekmeans/internal/report"
)

// writeReport writes elbow.png and report.html (see package
// internal/report) into root.
func writeReport(root string, ro *runOutput, s summary) error {
	o, t, runs := ro.o, ro.t, ro.runs
	in := &htmlreport.Input{
		Title: "tilekmeans report",
		Subtitle: fmt.Sprintf("%d tiles of %s from %s; k = %s; backend %s",
			s.Tiles, tileDesc(t), plural(len(s.Sheets), "sheet"), kList(o.ks), s.Backend),
		Facts:       reportFacts(s),
		Tiles:       t,
		ClassesBy:   ro.scoring.by,
		ClassesFrom: ro.scoring.from,
		QualityNote: ro.scoring.note,
	}
	if c := ro.scoring.classes; c != nil {
		in.Classes = c.Names
	}
	sampleReport(in, t, s)
	in.Indices = ro.indices.report()
	for i, r := range runs {
		rr := htmlreport.Run{Result: r.res, Seconds: r.seconds, Quality: r.quality, Centroids: r.centroids, Montage: r.montage, Scores: ro.indices.scoresOf(i)}
		if note := montageNote(t, r.res.K, r.montageParts); note != "" {
			rr.Notes = append(rr.Notes, "Too large for this page, "+note+".")
		}
		if v := r.verify; v != nil {
			rr.Notes = append(rr.Notes, fmt.Sprintf("-verify: %d assignments (%d tile labels) checked against the CPU reference, %d mismatches, %d exact ties",
				v.Assignments, v.Rows, v.Mismatches, v.Ties))
		}
		in.Runs = append(in.Runs, rr)
	}
	rec, knee := 0, 0
	if in.Indices != nil {
		rec, knee = in.Indices.Rec.K, in.Indices.Rec.Knee
	}
	elbow, err := htmlreport.Elbow(in.Runs, rec, knee)
	if err != nil {
		return err
	}
	if err := outdir.WriteStaged(outfiles.Path(root, outfiles.Elbow), func(w io.Writer) error {
		_, err := w.Write(elbow)
		return err
	}); err != nil {
		return err
	}
	return outdir.WriteStaged(outfiles.Path(root, outfiles.Report), func(w io.Writer) error {
		return htmlreport.Write(w, in, elbow)
	})
}

// reportFacts lists the run's facts, as in summary.json.
func reportFacts(s summary) []htmlreport.Fact {
	backend := s.Backend
	if s.Verified {
		backend += " (every assignment verified against the CPU reference)"
	}
	facts := []htmlreport.Fact{{Name: "backend", Value: backend}}
	if s.Context != "" {
		facts = append(facts,
			htmlreport.Fact{Name: "OpenGL context", Value: s.Context},
			htmlreport.Fact{Name: "renderer", Value: s.Renderer},
			htmlreport.Fact{Name: "OpenGL version", Value: s.GLVersion})
	}
	if s.GPUError != "" {
		facts = append(facts, htmlreport.Fact{Name: "GPU not used", Value: s.GPUError})
	}
	for _, w := range s.Warnings {
		facts = append(facts, htmlreport.Fact{Name: "warning", Value: w})
	}
	blank := fmt.Sprintf("%d (kept)", s.BlankTiles)
	if s.SkippedBlank > 0 {
		blank = fmt.Sprintf("%d (left out)", s.BlankTiles)
	}
	iters := strconv.Itoa(s.MaxIters)
	if s.FixedIters {
		iters += " (all run: -fixed-iters)"
	} else {
		iters += " (stops at the fixed point)"
	}
	total := 0.0
	for _, r := range s.Runs {
		total += r.Seconds
	}
	facts = append(facts,
		htmlreport.Fact{Name: "tiles", Value: fmt.Sprintf("%d of %dx%d pixels, %s (%d features)", s.Tiles, s.TileWidth, s.TileHeight, s.Color, s.Features)},
		htmlreport.Fact{Name: "blank tiles", Value: blank},
		htmlreport.Fact{Name: "sheets", Value: strconv.Itoa(len(s.Sheets))},
		htmlreport.Fact{Name: "grid", Value: gridFact(s)},
		htmlreport.Fact{Name: "seed", Value: strconv.FormatUint(s.Seed, 10)},
		htmlreport.Fact{Name: "init", Value: s.Init},
		htmlreport.Fact{Name: "restarts (-n-init)", Value: strconv.Itoa(s.NInit)},
		htmlreport.Fact{Name: "max iterations", Value: iters},
		htmlreport.Fact{Name: "clustering time", Value: fmt.Sprintf("%.3f s", total), Timing: true},
	)
	return facts
}

// plural counts a noun: "1 sheet", "5 sheets".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// gridFact describes how the sheets were cut.
func gridFact(s summary) string {
	g := fmt.Sprintf("%dx%d tiles, margin %d, spacing %d", s.TileWidth, s.TileHeight, s.Margin, s.Spacing)
	if s.Tileset != "" {
		g += " (from " + s.Tileset + ")"
	}
	var transparent []string
	for _, sh := range s.Sheets {
		if sh.Transparent > 0 {
			transparent = append(transparent, filepath.Base(sh.name()))
		}
	}
	if len(transparent) > 0 {
		g += fmt.Sprintf("; transparent pixels of %s composited over %s", strings.Join(transparent, ", "), s.Background)
	}
	return g
}
