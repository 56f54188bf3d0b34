#version 430
// Update passes of a device Lloyd iteration (package shaders documents the
// interface; status.glsl is spliced in after the version line). uPass picks
// the pass:
//
//   0 check: one work group. Adds the assignment's per-group distance sums
//     into the iteration's inertia (a fixed order: deterministic), marks the
//     iteration as run, and halts the batch when a cluster is empty.
//   1 means: one invocation per centroid value (k*D, from uBase, below uN):
//     the correctly rounded float32 of sum/count, and the moved flag when a
//     bit changed; an empty cluster keeps its centroid.
//   2 move: one invocation applies moves [uBase, uBase+uN) in order: each
//     row's values leave the cluster that holds them and join the target.

layout(local_size_x = 64) in;

layout(std430, binding = 0) readonly buffer Tiles { uint tiles[]; };
// The float32 centroids, handled as their bits: meanBits builds them
// exactly, and "moved" means any bit changed.
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
uniform uint uGroups; // check: partials to add

shared double sAcc[64];
shared uint sEmpty;

void check() {
    if (stopped()) {
        return; // the same for the whole (single) group
    }
    uint lid = gl_LocalInvocationID.x;
    if (lid == 0u) {
        sEmpty = 0u;
    }
    memoryBarrierShared();
    barrier();
    double acc = 0.0LF;
    for (uint g = lid; g < uGroups; g += 64u) {
        acc += partials[g];
    }
    for (uint c = lid; c < uK; c += 64u) {
        if (counts[c] == 0u) {
            atomicOr(sEmpty, 1u);
        }
    }
    sAcc[lid] = acc;
    memoryBarrierShared();
    barrier();
    for (uint s = 32u; s > 0u; s >>= 1) {
        if (lid < s) {
            sAcc[lid] += sAcc[lid + s];
        }
        memoryBarrierShared();
        barrier();
    }
    // Written after the last barrier: every invocation has read halted
    // (in stopped) by now.
    if (lid == 0u) {
        slots[uIter].inertia = sAcc[0];
        slots[uIter].ran = 1u;
        if (sEmpty != 0u) {
            slots[uIter].empty = 1u;
            halted = 1u;
        }
    }
}

// meanBits returns the bits of the correctly rounded (ties to even) float32
// of sum/count, for any sum < 2^32 and 0 < count < 2^31: what
// float32(float64(sum)/float64(count)) gives on the host. It uses integer
// arithmetic only, because GLSL promises neither a correctly rounded float
// division (2.5 ULP) nor a correctly rounded double one. The quotient is
// built as sig * 2^e with sig in [2^23, 2^24) plus the exact remainder,
// which decides the rounding, and the float is assembled from its fields.
uint meanBits(uint sum, uint count) {
    if (sum == 0u) {
        return 0u;
    }
    uint q = sum / count;
    uint r = sum - q * count;
    uint sig;
    int e;
    bool up;
    if (q >= 0x1000000u) {
        // 25 to 32 integer bits: keep the top 24; the dropped bits are
        // low + r/count units, and r/count < 1 only breaks a tie.
        int s = findMSB(q) - 23;
        sig = q >> uint(s);
        uint low = q & ((1u << uint(s)) - 1u);
        uint half_ = 1u << uint(s - 1);
        up = low > half_ || (low == half_ && (r != 0u || (sig & 1u) != 0u));
        e = s;
    } else {
        // Long division: append quotient bits until sig has 24. r < count
        // throughout, so 2r < 2^32. At most 54 steps (sum/count > 2^-31).
        sig = q;
        e = 0;
        while (sig < 0x800000u) {
            r <<= 1;
            sig <<= 1;
            if (r >= count) {
                r -= count;
                sig |= 1u;
            }
            e--;
        }
        // What is left of the quotient is r/count: compare it with 1/2.
        uint r2 = r << 1;
        up = r2 > count || (r2 == count && (sig & 1u) != 0u);
    }
    if (up) {
        sig++;
        if (sig == 0x1000000u) {
            sig = 0x800000u;
            e++;
        }
    }
    // value = 1.m * 2^(e+23): biased exponent e+23+127.
    return (uint(e + 150) << 23) | (sig - 0x800000u);
}

void means() {
    if (stopped()) {
        return;
    }
    uint idx = uBase + gl_GlobalInvocationID.x;
    if (idx >= uN) {
        return;
    }
    uint cnt = counts[idx / uD];
    if (cnt == 0u) {
        return; // an empty cluster keeps its centroid
    }
    uint bits = meanBits(sums[idx], cnt);
    if (bits != centBits[idx]) {
        centBits[idx] = bits;
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
        check();
    } else if (uPass == 1u) {
        means();
    } else {
        move();
    }
}
