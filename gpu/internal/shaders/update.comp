#version 430
// Passes of the device Lloyd loop beside the assignment (package shaders
// documents the interface; status.glsl and means.glsl are spliced in after
// the version line). uPass picks the pass:
//
//   0 means: one invocation per centroid value (k*D, from uBase, below uN):
//     the correctly rounded float32 of sum/count, and the moved flag when a
//     bit changed; an empty cluster keeps its centroid (a relocation's
//     means, every cluster).
//   1 move: one invocation takes moves [uBase, uBase+uN) in order: each
//     row's owner and the counts change, and the cluster it leaves is
//     noted in the move for pass 2.
//   2 move sums: one invocation per feature of each of those moves: the
//     row's value leaves the old cluster's sums and joins the new one's.
//   3 iteration means: one invocation per value of the clusters the
//     iteration's assignment listed as changed (Step's last work group
//     sets this dispatch's group count); the last work group to finish
//     clears their dirty flags and, under uStop, halts the batch when no
//     centroid moved.
//
// Every invocation's loops are short (pass 1 loops over one run of moves,
// at most one per empty cluster; the last group of pass 3 over the listed
// clusters / 64; meanBits at most 54 times): llvmpipe ends an invocation's
// loops after 65535 iterations in all.

layout(local_size_x = 64) in;

layout(std430, binding = 0) readonly buffer Tiles { uint tiles[]; };
// The float32 centroids, feature-major, handled as their bits: meanBits
// builds them exactly, and "moved" means any bit changed.
layout(std430, binding = 1) buffer Centroids { uint centBits[]; };
// Triples (tile row relative to the bound Tiles range, target cluster,
// the cluster the row leaves: written by pass 1).
layout(std430, binding = 2) buffer Moves { int moves[]; };
layout(std430, binding = 4) buffer Owner { int owner[]; };
layout(std430, binding = 5) coherent buffer Sums { uint sums[]; };
// k row counts, then k dirty flags.
layout(std430, binding = 6) coherent buffer Counts { uint counts[]; };

uniform uint uPass;
uniform uint uN;
uniform uint uD;
uniform uint uK;
uniform uint uStride;
uniform uint uBase;
uniform uint uOutBase;

shared uint sLast;

// flatIndex is the invocation's index in a dispatch of x by y groups.
uint flatIndex() {
    return (gl_WorkGroupID.y * gl_NumWorkGroups.x + gl_WorkGroupID.x) * 64u + gl_LocalInvocationIndex;
}

// mean sets centroid value j of cluster c to the mean of its sums (an
// empty cluster keeps its centroid) and notes a changed bit in the slot.
void mean(uint c, uint j) {
    uint cnt = counts[c];
    if (cnt == 0u) {
        return;
    }
    uint bits = meanBits(sums[c * uD + j], cnt);
    uint ci = j * uK + c;
    if (bits != centBits[ci]) {
        centBits[ci] = bits;
        atomicOr(slots[uIter].moved, 1u);
    }
}

void means() {
    uint idx = uBase + gl_GlobalInvocationID.x;
    if (idx < uN) {
        mean(idx / uD, idx % uD);
    }
}

void move() {
    // One invocation, in order, so a row listed twice ends where its last
    // move puts it, as on the host; the sums follow in pass 2, where the
    // order does not matter (atomic adds commute).
    if (gl_GlobalInvocationID.x != 0u) {
        return;
    }
    for (uint m = uBase; m < uBase + uN; ++m) {
        uint o = uOutBase + uint(moves[3u * m]);
        int to = moves[3u * m + 1u];
        int from = owner[o];
        moves[3u * m + 2u] = from;
        if (from >= 0) {
            atomicAdd(counts[from], 0xFFFFFFFFu);
        }
        atomicAdd(counts[to], 1u);
        owner[o] = to;
    }
}

void moveSums() {
    uint idx = flatIndex();
    if (idx >= uN * uD) {
        return;
    }
    uint m = uBase + idx / uD;
    uint j = idx % uD;
    uint row = uint(moves[3u * m]);
    int to = moves[3u * m + 1u];
    int from = moves[3u * m + 2u];
    uint x = (tiles[row * uStride + (j >> 2)] >> ((j & 3u) << 3)) & 0xFFu;
    if (x != 0u) {
        atomicAdd(sums[uint(to) * uD + j], x);
        if (from >= 0) {
            atomicAdd(sums[uint(from) * uD + j], x * 0xFFFFFFFFu);
        }
    }
}

void iterationMeans() {
    uint lid = gl_LocalInvocationIndex;
    uint n = work[uListOff];
    uint idx = flatIndex();
    if (idx < n * uD) {
        mean(work[uListOff + 1u + idx / uD], idx % uD);
    }
    memoryBarrierBuffer();
    barrier();
    if (lid == 0u) {
        uint done = atomicAdd(meansDone, 1u);
        sLast = done == gl_NumWorkGroups.x * gl_NumWorkGroups.y - 1u ? 1u : 0u;
    }
    memoryBarrierShared();
    barrier();
    if (sLast != 0u) {
        memoryBarrierBuffer();
        for (uint i = lid; i < n; i += 64u) {
            counts[uK + work[uListOff + 1u + i]] = 0u;
        }
        if (uStop != 0u && slots[uIter].moved == 0u) {
            haltBatch(lid);
        }
        if (lid == 0u) {
            meansDone = 0u;
        }
    }
}

void main() {
    if (uPass == 0u) {
        means();
    } else if (uPass == 1u) {
        move();
    } else if (uPass == 2u) {
        moveSums();
    } else {
        iterationMeans();
    }
}
