#!/usr/bin/python3
"""Runs scikit-learn's Lloyd k-means from the initial rows a tilekmeans run
used, on the very tiles it clustered, and compares inertia, iterations and
time.

    go run ./cmd/tilekmeans run -images ../shared/data/usps -export npy -backend cpu -out /tmp/o
    /usr/bin/python3 cmd/tilekmeans/testdata/sklearn_compare.py /tmp/o [--algorithm lloyd|elkan] [--reps 5]

The tiles come from the run's tiles.npy, not from decoding the JPEGs again:
Pillow's libjpeg and Go's image/jpeg round some pixels differently (about
21,000 of 1.4 million differ by 1 on the USPS sheets), and that alone moves
the inertia by ~1e-5.
"""
import argparse, json, os, statistics, time
import numpy as np
from sklearn.cluster import KMeans

ap = argparse.ArgumentParser()
ap.add_argument("out")
ap.add_argument("--algorithm", default="lloyd")
ap.add_argument("--reps", type=int, default=5)
a = ap.parse_args()
X = np.load(os.path.join(a.out, "tiles.npy")).astype(np.float64)
s = json.load(open(os.path.join(a.out, "summary.json")))
total_sk, total_ours = 0.0, 0.0
for r in s["runs"]:
    init = X[r["init_rows"]]
    times = []
    for _ in range(a.reps):
        t = time.perf_counter()
        km = KMeans(n_clusters=r["k"], init=init, n_init=1, max_iter=s["max_iters"], tol=0.0,
                    algorithm=a.algorithm).fit(X)
        times.append(time.perf_counter() - t)
    sk = statistics.median(times)
    total_sk += sk
    total_ours += r["seconds"]
    print(json.dumps({"k": r["k"], "sklearn_inertia": km.inertia_, "tilekmeans_inertia": r["inertia"],
                      "relative_difference": abs(km.inertia_ - r["inertia"]) / r["inertia"],
                      "sklearn_iterations": int(km.n_iter_), "tilekmeans_iterations": r["iterations"],
                      "same_sizes": sorted(np.bincount(km.labels_, minlength=r["k"]).tolist()) == sorted(r["sizes"]),
                      "sklearn_s": round(sk, 4), "tilekmeans_s": round(r["seconds"], 4)}))
print(json.dumps({"algorithm": a.algorithm, "sklearn_total_s": round(total_sk, 4), "tilekmeans_total_s": round(total_ours, 4),
                  "ratio": round(total_ours / total_sk, 3)}))
