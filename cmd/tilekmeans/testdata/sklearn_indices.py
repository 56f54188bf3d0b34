#!/usr/bin/python3
"""Computes scikit-learn's internal validity indices on the very tiles and
labels a tilekmeans run used, to compare with its summary.json and
silhouette_k*.npy (TestIndicesScikitLearn), or to time scikit-learn's exact
silhouette beside tilekmeans' (BENCHMARKS.md):

    go run ./cmd/tilekmeans run -images ../shared/data/usps -export npy -backend cpu -out /tmp/o
    /usr/bin/python3 cmd/tilekmeans/testdata/sklearn_indices.py /tmp/o [--samples] [--time --reps 3]

It prints one JSON line per labels_k{K}.npy: silhouette_score (exact, no
sample_size), davies_bouldin_score and calinski_harabasz_score, with
--samples silhouette_samples too, with --time the median and the least seconds of
silhouette_score and the peak memory of the process (ru_maxrss, KiB). A k
scikit-learn refuses (fewer than 2 labels, or as many as samples) has
"error" instead.
"""
import argparse, glob, json, os, re, resource, statistics, time
import numpy as np
from sklearn.metrics import silhouette_score, silhouette_samples, davies_bouldin_score, calinski_harabasz_score

ap = argparse.ArgumentParser()
ap.add_argument("out")
ap.add_argument("--samples", action="store_true")
ap.add_argument("--time", action="store_true")
ap.add_argument("--reps", type=int, default=3)
a = ap.parse_args()
X = np.load(os.path.join(a.out, "tiles.npy"))
files = sorted(glob.glob(os.path.join(a.out, "labels_k*.npy")), key=lambda f: int(re.search(r"labels_k(\d+)", f).group(1)))
for f in files:
    k = int(re.search(r"labels_k(\d+)", f).group(1))
    L = np.load(f)
    r = {"k": k}
    try:
        if a.time:
            times = []
            for _ in range(a.reps):
                t = time.perf_counter()
                r["silhouette"] = silhouette_score(X, L)
                times.append(time.perf_counter() - t)
            r["silhouette_seconds"] = statistics.median(times)
            r["silhouette_seconds_min"] = min(times)
            r["max_rss_kib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        else:
            r["silhouette"] = silhouette_score(X, L)
            r["davies_bouldin"] = davies_bouldin_score(X, L)
            r["calinski_harabasz"] = calinski_harabasz_score(X, L)
            if a.samples:
                r["samples"] = silhouette_samples(X, L).tolist()
    except ValueError as e:
        r["error"] = str(e)
    print(json.dumps(r), flush=True)
