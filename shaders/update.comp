#version 430
// Passes of the device Lloyd loop that a relocation needs (package shaders
// documents the interface; status.glsl and means.glsl are spliced in after
// the version line). uPass picks the pass:
//
//   0 means: one invocation per centroid value (k*D, from uBase, below uN):
//     the correctly rounded float32 of sum/count, and the moved flag when a
//     bit changed; an empty cluster keeps its centroid.
//   1 move: one invocation applies moves [uBase, uBase+uN) in order: each
//     row's values leave the cluster that holds them and join the target.

layout(local_size_x = 64) in;

layout(std430, binding = 0) readonly buffer Tiles { uint tiles[]; };
// The float32 centroids, feature-major, handled as their bits: meanBits
// builds them exactly, and "moved" means any bit changed.
layout(std430, binding = 1) buffer Centroids { uint centBits[]; };
// Pairs (tile row relative to the bound Tiles range, target cluster).
layout(std430, binding = 2) readonly buffer Moves { int moves[]; };
layout(std430, binding = 4) buffer Owner { int owner[]; };
layout(std430, binding = 5) buffer Sums { uint sums[]; };
layout(std430, binding = 6) buffer Counts { uint counts[]; };

uniform uint uPass;
uniform uint uN;
uniform uint uD;
uniform uint uK;
uniform uint uStride;
uniform uint uBase;
uniform uint uOutBase;

void means() {
    uint idx = uBase + gl_GlobalInvocationID.x;
    if (idx >= uN) {
        return;
    }
    uint c = idx / uD;
    uint cnt = counts[c];
    if (cnt == 0u) {
        return; // an empty cluster keeps its centroid
    }
    uint bits = meanBits(sums[idx], cnt);
    uint ci = (idx - c * uD) * uK + c;
    if (bits != centBits[ci]) {
        centBits[ci] = bits;
        atomicOr(slots[uIter].moved, 1u);
    }
}

// addRow adds tile row `row`'s features, times sign (1u or 0xFFFFFFFFu,
// that is -1 modulo 2^32), to cluster c's sums.
void addRow(uint row, uint c, uint sign) {
    uint w0 = row * uStride;
    uint sb = c * uD;
    for (uint j = 0u; j < uD; ++j) {
        uint x = (tiles[w0 + (j >> 2)] >> ((j & 3u) << 3)) & 0xFFu;
        if (x != 0u) {
            atomicAdd(sums[sb + j], x * sign);
        }
    }
}

void move() {
    // One invocation, in order, so a row listed twice ends where its last
    // move puts it, as on the host.
    if (gl_GlobalInvocationID.x != 0u) {
        return;
    }
    for (uint m = uBase; m < uBase + uN; ++m) {
        uint row = uint(moves[2u * m]);
        int to = moves[2u * m + 1u];
        uint o = uOutBase + row;
        int from = owner[o];
        if (from >= 0) {
            addRow(row, uint(from), 0xFFFFFFFFu);
            atomicAdd(counts[from], 0xFFFFFFFFu);
        }
        addRow(row, uint(to), 1u);
        atomicAdd(counts[to], 1u);
        owner[o] = to;
    }
}

void main() {
    if (uPass == 0u) {
        means();
    } else {
        move();
    }
}
