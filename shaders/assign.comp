#version 430
// Assignment step of k-means; see package shaders' documentation for the
// binding and uniform interface, and package kmeans for the arithmetic
// contract this must follow bit for bit (float32, feature order,
// s += d*d without fused multiply-add, ties to the lowest index).
//
// Compiled twice: as it is (Assign: labels and distances only), and with
// STEP defined and status.glsl spliced in after the version line (Step: the
// first pass of a device Lloyd iteration, which also counts changed labels,
// moves the changed rows between the integer cluster sums and reduces the
// distances for the inertia). Both run the same nearest(), so the device
// loop labels exactly as Assign and cpu.Nearest do.

layout(local_size_x = 64) in;

layout(std430, binding = 0) readonly buffer Tiles { uint tiles[]; };
layout(std430, binding = 1) readonly buffer Centroids { float cent[]; };
#ifdef STEP
// Labels of the previous Step assignment (-1 after Start), overwritten with
// this one's: the changed count compares the two.
layout(std430, binding = 2) buffer Labels { int labels[]; };
#else
layout(std430, binding = 2) writeonly buffer Labels { int labels[]; };
#endif
layout(std430, binding = 3) writeonly buffer Dists { float dists[]; };

uniform uint uN;
uniform uint uD;
uniform uint uK;
uniform uint uStride;
uniform uint uBase;
uniform uint uOutBase;

// nearest returns the squared distance from tile row `row` (relative to the
// bound Tiles range) to its nearest centroid, and that centroid's index.
float nearest(uint row, out int best) {
    uint w0 = row * uStride;
    uint full = uD >> 2; // words with four features
    uint rest = uD & 3u; // features in the last, partial word

    best = 0;
    float bestD = 0.0;
    for (uint c = 0u; c < uK; ++c) {
        uint cb = c * uD;
        // precise forbids reassociation and contraction into fma, so s is
        // accumulated exactly like cpu.Distance: s += float32(d*d) in order.
        precise float s = 0.0;
        for (uint w = 0u; w < full; ++w) {
            uint word = tiles[w0 + w];
            uint j = cb + (w << 2);
            precise float d0 = float(word & 0xFFu) - cent[j];
            s += d0 * d0;
            precise float d1 = float((word >> 8) & 0xFFu) - cent[j + 1u];
            s += d1 * d1;
            precise float d2 = float((word >> 16) & 0xFFu) - cent[j + 2u];
            s += d2 * d2;
            precise float d3 = float(word >> 24) - cent[j + 3u];
            s += d3 * d3;
        }
        if (rest != 0u) {
            uint word = tiles[w0 + full];
            uint j = cb + (full << 2);
            for (uint b = 0u; b < rest; ++b) {
                precise float d = float((word >> (b << 3)) & 0xFFu) - cent[j + b];
                s += d * d;
            }
        }
        // Strictly less: ties keep the lowest index, as cpu.Nearest does.
        if (c == 0u || s < bestD) {
            best = int(c);
            bestD = s;
        }
    }
    return bestD;
}

#ifndef STEP

void main() {
    uint i = gl_GlobalInvocationID.x;
    if (i >= uN) {
        return;
    }
    uint row = uBase + i;
    int best;
    float bestD = nearest(row, best);
    uint o = uOutBase + row;
    labels[o] = best;
    dists[o] = bestD;
}

#else

// The cluster whose sums hold each row (-1 after Start); it differs from
// labels[] only after a relocation moved the row (State, Move).
layout(std430, binding = 4) buffer Owner { int owner[]; };
// Exact integer sums of the uint8 features per cluster (k*D) and the rows
// per cluster (k). Updates are atomic adds, which commute, so the result
// does not depend on the order the rows run in; a row leaving a cluster
// adds the two's complement of its values, exact modulo 2^32, and every
// true sum is below 2^32 (the host checks n*255 < 2^32).
layout(std430, binding = 5) buffer Sums { uint sums[]; };
layout(std430, binding = 6) buffer Counts { uint counts[]; };

// First row of this dispatch's work groups in the partials array.
uniform uint uPartBase;

shared uint sChanged;
shared double sDist[64];

// addRow adds row `row`'s features, times sign (1u or 0xFFFFFFFFu, that is
// -1 modulo 2^32), to the sums of cluster c. Zero features are skipped:
// adding zero changes nothing.
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

void main() {
    // Every invocation reads the same words, which no invocation of this
    // pass writes, so a halted batch leaves whole work groups before the
    // barriers below.
    if (stopped()) {
        return;
    }
    uint lid = gl_LocalInvocationID.x;
    if (lid == 0u) {
        sChanged = 0u;
    }
    memoryBarrierShared();
    barrier();

    uint i = gl_GlobalInvocationID.x;
    double dist = 0.0LF;
    // No early return for the rows past uN: they must reach the barriers.
    if (i < uN) {
        uint row = uBase + i;
        int best;
        float bestD = nearest(row, best);
        uint o = uOutBase + row;
        dists[o] = bestD;
        dist = double(bestD);
        if (labels[o] != best) {
            atomicAdd(sChanged, 1u);
            labels[o] = best;
        }
        int from = owner[o];
        if (from != best) {
            addRow(row, uint(best), 1u);
            atomicAdd(counts[best], 1u);
            if (from >= 0) {
                addRow(row, uint(from), 0xFFFFFFFFu);
                atomicAdd(counts[from], 0xFFFFFFFFu);
            }
            owner[o] = best;
        }
    }

    // The group's distance sum, in double, as a fixed tree: the same
    // distances always give the same bits, whatever order groups run in.
    sDist[lid] = dist;
    memoryBarrierShared();
    barrier();
    for (uint s = 32u; s > 0u; s >>= 1) {
        if (lid < s) {
            sDist[lid] += sDist[lid + s];
        }
        memoryBarrierShared();
        barrier();
    }
    if (lid == 0u) {
        partials[uPartBase + gl_WorkGroupID.x] = sDist[0];
        if (sChanged != 0u) {
            atomicAdd(slots[uIter].changed, sChanged);
        }
    }
}

#endif
