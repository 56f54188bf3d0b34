#!/usr/bin/python3
"""Times tilekmeans (-prune auto and off) side by side with scikit-learn's
KMeans (algorithm="elkan" and "lloyd", float32) and FAISS's Kmeans, on the
same tiles and from the same initial rows, with OpenBLAS's default kernel and
with OPENBLAS_CORETYPE=SkylakeX, and prints a Markdown table.

    go build -o /tmp/tk ./cmd/tilekmeans
    /usr/bin/python3 cmd/tilekmeans/testdata/peers_compare.py --tool /tmp/tk \\
        --images ../shared/data/usps --sizes 10,100 --k 64,256 --work /tmp/peers

The data: tilekmeans's own tiles.npy of the sheets (run -export npy: Pillow
and Go's image/jpeg decode JPEGs slightly differently), replicated like the
bench command's -sizes (the first copy exact, every value of the other
copies moved by a seeded -1, 0 or +1, clamped), written as lossless PNG
sheets (one per copy) that tilekmeans then clusters end to end. Its
summary.json gives each k's initial rows, iterations and clustering time
(kmeans.Run alone, no loading); the peers start from the same rows of the
tiles.npy it exports and are timed around fit()/train() alone.

scikit-learn runs to convergence as tilekmeans does (tol=0, max_iter=100:
it stops when no label changes). FAISS has no convergence test: it runs
the number of iterations tilekmeans ran (same Lloyd iterations), with no
subsampling (max_points_per_centroid = tiles). Every peer runs in its own
process per BLAS setting, with the machine's OPENBLAS_CORETYPE and
OPENBLAS_L2_SIZE removed from that process's environment only. With --reps
N each cell runs in N rounds, every program once per round (tilekmeans auto,
tilekmeans off, the peers with each BLAS setting), and each program's
fastest run counts: on a shared machine whose speed drifts by 10-20% over
minutes, rounds spread every program's runs over the same spell, and the
fastest is the one least disturbed by other work.
"""
import argparse
import json
import os
import subprocess
import sys
import time


def tiles_to_sheets(x, copies, seed, outdir, tile):
    import numpy as np
    from PIL import Image
    n = x.shape[0]
    cols = max(c for c in range(1, 257) if n % c == 0)  # a grid with no empty cell
    rows = n // cols
    rng = np.random.default_rng(seed)
    os.makedirs(outdir, exist_ok=True)
    for c in range(copies):
        y = x if c == 0 else np.clip(x.astype(np.int16) + rng.integers(-1, 2, size=x.shape), 0, 255).astype(np.uint8)
        img = y.reshape(rows, cols, tile, tile).transpose(0, 2, 1, 3).reshape(rows * tile, cols * tile)
        Image.fromarray(img, mode="L").save(os.path.join(outdir, "copy_%03d.png" % c))


def run_tool(tool, sheets, ks, prune, out):
    """Runs tilekmeans once; returns its summary."""
    cmd = [tool, "run", "-q", "-backend", "cpu", "-k", ",".join(map(str, ks)), "-iters", "100",
           "-prune", prune, "-export", "npy", "-out", out, "-images", sheets]
    subprocess.run(cmd, check=True)
    with open(os.path.join(out, "summary.json")) as f:
        return json.load(f)


def peers(out, reps, blas):
    """Runs in a child process: every peer on out's tiles and runs, reps
    times each."""
    import numpy as np
    import faiss
    from sklearn.cluster import KMeans
    from threadpoolctl import threadpool_info
    x = np.load(os.path.join(out, "tiles.npy")).astype(np.float32)
    with open(os.path.join(out, "summary.json")) as f:
        s = json.load(f)
    blas_info = [(i.get("internal_api"), i.get("architecture"), i.get("num_threads")) for i in threadpool_info()
                 if i.get("user_api") == "blas"]
    for r in s["runs"]:
        k, init = r["k"], x[r["init_rows"]]
        for name in ("elkan", "lloyd", "faiss"):
            times, inertia, iters = [], None, None
            for _ in range(reps):
                t = time.perf_counter()
                if name == "faiss":
                    km = faiss.Kmeans(x.shape[1], k, niter=r["iterations"], max_points_per_centroid=x.shape[0],
                                      min_points_per_centroid=1, seed=1, verbose=False)
                    km.train(x, init_centroids=init)
                    times.append(time.perf_counter() - t)
                    _, lab = km.index.search(x, 1)
                    lab = lab[:, 0]
                    iters = r["iterations"]
                    inertia = float(sum(((x[lab == c] - x[lab == c].mean(0)) ** 2).sum() for c in np.unique(lab)))
                else:
                    km = KMeans(n_clusters=k, init=init, n_init=1, max_iter=100, tol=0.0, algorithm=name).fit(x)
                    times.append(time.perf_counter() - t)
                    inertia, iters = float(km.inertia_), int(km.n_iter_)
            print(json.dumps({"blas": blas, "blas_info": blas_info, "k": k, "peer": name,
                              "seconds": min(times), "all_seconds": times, "iterations": iters, "inertia": inertia}), flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tool", default="tilekmeans")
    ap.add_argument("--images", default="../shared/data/usps")
    ap.add_argument("--sizes", default="10,100")
    ap.add_argument("--k", default="64,256")
    ap.add_argument("--work", default="/tmp/tilekmeans-peers")
    ap.add_argument("--reps", type=int, default=1,
                    help="runs of everything per cell; the fastest counts (the least disturbed on a shared machine)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--peers", help=argparse.SUPPRESS)  # child: run the peers on this run's output
    ap.add_argument("--blas", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.peers:
        peers(a.peers, a.reps, a.blas)
        return
    import numpy as np
    ks = [int(k) for k in a.k.split(",")]
    base = os.path.join(a.work, "base")
    run_tool(a.tool, a.images, [ks[0]], "auto", base)
    x = np.load(os.path.join(base, "tiles.npy"))
    tile = int(round(x.shape[1] ** 0.5))
    rows = []
    for size in [int(s) for s in a.sizes.split(",")]:
        d = os.path.join(a.work, "x%d" % size)
        sheets = os.path.join(d, "sheets")
        if not os.path.isdir(sheets):
            tiles_to_sheets(x, size, a.seed, sheets, tile)
        auto = os.path.join(d, "auto")
        ours, secs, res = {}, {}, {}
        for _ in range(a.reps):  # rounds: every program once in each
            for prune in ("auto", "off"):
                ours[prune] = run_tool(a.tool, sheets, ks, prune, os.path.join(d, prune))
                for r in ours[prune]["runs"]:
                    secs.setdefault((prune, r["k"]), []).append(r["seconds"])
            for blas, env in (("default", {}), ("SkylakeX", {"OPENBLAS_CORETYPE": "SkylakeX"})):
                e = {kk: v for kk, v in os.environ.items() if kk not in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")}
                e.update(env)
                p = subprocess.run([sys.executable, __file__, "--peers", auto, "--reps", "1", "--blas", blas],
                                   env=e, check=True, capture_output=True, text=True)
                for line in p.stdout.splitlines():
                    r = json.loads(line)
                    print(line, file=sys.stderr)
                    key = (r["k"], r["peer"], blas)
                    if key in res:
                        r["all_seconds"] = res[key]["all_seconds"] + r["all_seconds"]
                        r["seconds"] = min(r["all_seconds"])
                    res[key] = r
        for prune, s in ours.items():
            for r in s["runs"]:
                r["seconds"] = min(secs[(prune, r["k"])])
        got = ours["auto"]["tiles"]  # summary.json's count, not a second read of tiles.npy
        assert got == size * x.shape[0], "the run has %d tiles" % got
        for k in ks:
            la = np.load(os.path.join(auto, "labels_k%d.npy" % k))
            lo = np.load(os.path.join(d, "off", "labels_k%d.npy" % k))
            assert (la == lo).all(), "k=%d: -prune auto and off labels differ" % k
        for k in ks:
            ra = next(r for r in ours["auto"]["runs"] if r["k"] == k)
            ro = next(r for r in ours["off"]["runs"] if r["k"] == k)
            row = {"tiles": got, "k": k, "iterations": ra["iterations"], "inertia": ra["inertia"],
                   "auto": ra["seconds"], "off": ro["seconds"]}
            for key, r in res.items():
                if key[0] == k:
                    row["%s/%s" % (key[1], key[2])] = r["seconds"]
                    row["%s/%s iterations" % (key[1], key[2])] = r["iterations"]
                    row["%s/%s inertia" % (key[1], key[2])] = r["inertia"]
            rows.append(row)
            print(json.dumps(row), file=sys.stderr, flush=True)
    cols = ["elkan/default", "elkan/SkylakeX", "lloyd/default", "lloyd/SkylakeX", "faiss/default", "faiss/SkylakeX"]
    print("| tiles | k | iterations (ours, sklearn) | tilekmeans auto | tilekmeans off | " +
          " | ".join("sklearn " + c if not c.startswith("faiss") else c.replace("faiss", "FAISS") for c in cols) +
          " | auto / best elkan | auto / fastest peer |")
    print("|" + " --- |" * (7 + len(cols)))
    for r in rows:
        elkan = min(r["elkan/default"], r["elkan/SkylakeX"])
        fastest = min(r[c] for c in cols)
        print("| %d | %d | %d, %d | **%.3f s** | %.3f s | %s | %.2f | %.2f |" % (
            r["tiles"], r["k"], r["iterations"], r["elkan/default iterations"], r["auto"], r["off"],
            " | ".join("%.3f s" % r[c] for c in cols), r["auto"] / elkan, r["auto"] / fastest))


if __name__ == "__main__":
    main()
