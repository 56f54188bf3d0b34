// The rest of a device Lloyd iteration, in the assignment's own dispatch
// (spliced into assign.comp when STEP is defined, after status.glsl). The work group that settles a tile block (the only one, or
// the last of its centroid splits) counts the changed labels, moves the
// changed rows between the integer cluster sums and adds the block's
// distances exactly into INERTIA_DIGITS digits. Every work group then
// counts itself done; the last of the iteration (an atomic counter after
// its writes: no group waits for another) adds the blocks' inertia, checks
// for empty clusters, and lists the clusters that changed, setting the
// group count of the iteration's means pass (update.comp, pass 3: one
// invocation per value of a listed cluster) that the host has already
// queued as an indirect dispatch behind this one.

// The cluster whose sums hold each row (-1 after Start); it differs from
// labels[] only after a relocation moved the row (State, Move).
layout(std430, binding = 4) coherent buffer Owner { int owner[]; };
// Exact integer sums of the uint8 features per cluster (k*D, row-major).
// Updates are atomic adds, which commute, so the result does not depend on
// the order the rows run in; a row leaving a cluster adds the two's
// complement of its values, exact modulo 2^32, and every true sum is below
// 2^32 (the host refuses more than MaxStepRows rows).
layout(std430, binding = 5) coherent buffer Sums { uint sums[]; };
// k row counts, then k dirty flags: a cluster a row joined or left since
// its mean was last computed.
layout(std430, binding = 6) coherent buffer Counts { uint counts[]; };

uniform uint uGroups;     // work groups of the assignment, over all its dispatches
uniform uint uInertiaOff; // work[]: INERTIA_DIGITS+1 words per tile block
uniform uint uMaxGroups;  // GL_MAX_COMPUTE_WORK_GROUP_COUNT[0], for the means pass

#define INERTIA_WORDS (INERTIA_DIGITS + 1)

shared uint sChanged;
shared uint sSpecial;
shared uint sEmpty;
shared int sFrom[TB];     // per row of the block: the cluster it leaves, or
shared uint sTo[TB];      // -1 when it joins one for the first time; -2: no move
shared uint sW[TB];       // per row: the distance's digit position, and the
shared uint sLo[TB];      // two digits it adds there
shared uint sHi[TB];
shared uint sDig[INERTIA_DIGITS * 64];
shared uint sSum[INERTIA_DIGITS];
shared uint sCarry[INERTIA_DIGITS];

// digitSum adds the 64 values sDig[i*64 .. i*64+63] for invocation i <
// INERTIA_DIGITS into sSum[i], with the carries out counted in sCarry[i].
void digitSum(uint lid, uint n) {
    if (lid < uint(INERTIA_DIGITS)) {
        uint s = 0u, carry = 0u;
        for (uint t = 0u; t < n; ++t) {
            uint c;
            s = uaddCarry(s, sDig[lid * 64u + t], c);
            carry += c;
        }
        sSum[lid] = s;
        sCarry[lid] = carry;
    }
}

// finishIteration runs in the last work group of the iteration, when every
// other group's writes are done.
void finishIteration(uint lid) {
    // The inertia: each invocation adds the partials of blocks lid,
    // lid+64, ... digit by digit with the carries; then the 64 sums are
    // added column by column and the carries propagated. Integer sums are
    // exact, so the result is the same in any order.
    uint d[INERTIA_DIGITS];
    for (int i = 0; i < INERTIA_DIGITS; ++i) {
        d[i] = 0u;
    }
    uint special = 0u;
    // (The digit loop is written out: an invocation adds up to 4,100
    // partials at MaxStepRows, within llvmpipe's loop budget.)
#define ADD_DIGIT(i) { \
            uint c1, c2; \
            uint s = uaddCarry(d[i], work[p + uint(i)], c1); \
            d[i] = uaddCarry(s, carry, c2); \
            carry = c1 + c2; \
        }
    for (uint b = lid; b < uBlocks; b += 64u) {
        uint p = uInertiaOff + b * uint(INERTIA_WORDS);
        uint carry = 0u;
        FOR_DIGITS(ADD_DIGIT)
        special |= work[p + uint(INERTIA_DIGITS)];
    }
    if (lid == 0u) {
        sSpecial = 0u;
        sEmpty = 0u;
    }
    memoryBarrierShared();
    barrier();
    for (int i = 0; i < INERTIA_DIGITS; ++i) {
        sDig[uint(i) * 64u + lid] = d[i];
    }
    if (special != 0u) {
        atomicOr(sSpecial, special);
    }
    for (uint c = lid; c < uK; c += 64u) {
        if (counts[c] == 0u) {
            sEmpty = 1u;
        }
    }
    memoryBarrierShared();
    barrier();
    digitSum(lid, 64u);
    memoryBarrierShared();
    barrier();
    bool empty = sEmpty != 0u;
    if (lid == 0u) {
        uint carry = 0u;
        for (int i = 0; i < INERTIA_DIGITS; ++i) {
            uint c;
            slots[uIter].inertia[i] = uaddCarry(sSum[i], carry, c);
            carry = sCarry[i] + c;
        }
        slots[uIter].special = sSpecial;
    }
    // An empty cluster stops the iteration before the means
    // (kmeans.Stepper): the rest of the batch, this iteration's means pass
    // included, runs nothing. Otherwise the clusters that changed are
    // listed, in any order, for the means pass.
    if (empty) {
        haltBatch(lid);
    } else {
        if (lid == 0u) {
            sChanged = 0u; // reused as the list's length
        }
        memoryBarrierShared();
        barrier();
        for (uint c = lid; c < uK; c += 64u) {
            if (counts[uK + c] != 0u) {
                work[uListOff + 1u + atomicAdd(sChanged, 1u)] = c;
            }
        }
        memoryBarrierShared();
        barrier();
        uint n = sChanged;
        if (n == 0u && uStop != 0u) {
            haltBatch(lid); // no centroid can move: a fixed point
        }
        if (lid == 0u) {
            // One invocation per value of a listed cluster, in x by y work
            // groups within the group count limit.
            uint groups = (n * uD + 63u) / 64u;
            uint x = min(groups, uMaxGroups);
            uint m = uIndirectOff + 3u * (uDispatches - 1u);
            work[uListOff] = n;
            work[m] = x;
            work[m + 1u] = x == 0u ? 1u : (groups + x - 1u) / x;
        }
    }
    if (lid == 0u) {
        slots[uIter].empty = empty ? 1u : 0u;
        slots[uIter].ran = 1u;
        groupsDone = 0u; // ready for the next iteration
    }
}

// stepRows finishes a tile block's rows (when mine: this group settled the
// block) and counts the group done for the iteration. idx and bits are the
// nearest centroid and distance of row lid of the block.
void stepRows(bool mine, uint lid, uint rows, uint row0, uint idx, uint bits) {
    if (mine) {
        if (lid == 0u) {
            sChanged = 0u;
            sSpecial = 0u;
        }
        if (lid < uint(TB)) {
            sFrom[lid] = -2;
            sW[lid] = 0u;
            sLo[lid] = 0u;
            sHi[lid] = 0u;
        }
        memoryBarrierShared();
        barrier();
        if (lid < rows) {
            uint o = uOutBase + row0 + lid;
            int best = int(idx);
            if (labels[o] != best) {
                atomicAdd(sChanged, 1u);
                labels[o] = best;
            }
            dists[o] = uintBitsToFloat(bits);
            int from = owner[o];
            if (from != best) {
                sFrom[lid] = from;
                sTo[lid] = idx;
                owner[o] = best;
                atomicAdd(counts[idx], 1u);
                counts[uK + idx] = 1u;
                if (from >= 0) {
                    atomicAdd(counts[from], 0xFFFFFFFFu);
                    counts[uK + uint(from)] = 1u;
                }
            }
            // The distance as an integer number of 2^-149: its 24-bit
            // significand shifted to its exponent, which spans two digits.
            uint e = (bits >> 23) & 0xFFu; // the sign is 0: a sum of squares
            uint m = bits & 0x7FFFFFu;
            if (e == 0xFFu) {
                atomicOr(sSpecial, m != 0u ? 1u : 2u);
            } else {
                uint p = 0u; // subnormal: m * 2^-149
                if (e != 0u) {
                    m |= 0x800000u;
                    p = e - 1u;
                }
                uint s = p & 31u;
                sW[lid] = p >> 5;
                sLo[lid] = m << s;
                sHi[lid] = s == 0u ? 0u : m >> (32u - s);
            }
        }
        memoryBarrierShared();
        barrier();
        // The moved rows' features, from the old cluster's sums to the new
        // one's, the whole group along the features of one row at a time.
        for (uint t = 0u; t < rows; ++t) {
            int from = sFrom[t];
            if (from == -2) {
                continue;
            }
            uint w0 = (row0 + t) * uStride;
            uint to = sTo[t] * uD;
            for (uint j = lid; j < uD; j += 64u) {
                uint x = (tiles[w0 + (j >> 2)] >> ((j & 3u) << 3)) & 0xFFu;
                if (x != 0u) {
                    atomicAdd(sums[to + j], x);
                    if (from >= 0) {
                        atomicAdd(sums[uint(from) * uD + j], x * 0xFFFFFFFFu);
                    }
                }
            }
        }
        // The block's inertia partial: digit i is the sum of what the rows
        // add to it, with carries; one invocation propagates them.
        for (int i = 0; i < INERTIA_DIGITS; ++i) {
            uint v = 0u;
            if (lid < uint(TB)) {
                if (sW[lid] == uint(i)) {
                    v = sLo[lid];
                } else if (sW[lid] + 1u == uint(i)) {
                    v = sHi[lid];
                }
            }
            sDig[uint(i) * 64u + lid] = v;
        }
        memoryBarrierShared();
        barrier();
        digitSum(lid, uint(TB));
        memoryBarrierShared();
        barrier();
        if (lid == 0u) {
            uint p = uInertiaOff + (uBlockBase + gl_WorkGroupID.x) * uint(INERTIA_WORDS);
            uint carry = 0u;
            for (int i = 0; i < INERTIA_DIGITS; ++i) {
                uint c;
                work[p + uint(i)] = uaddCarry(sSum[i], carry, c);
                carry = sCarry[i] + c;
            }
            work[p + uint(INERTIA_DIGITS)] = sSpecial;
            if (sChanged != 0u) {
                atomicAdd(slots[uIter].changed, sChanged);
            }
        }
    }
    // This group is done with the iteration; the last one finishes it.
    memoryBarrierBuffer();
    barrier();
    if (lid == 0u) {
        uint done = atomicAdd(groupsDone, 1u);
        sLast = done == uGroups - 1u ? 1u : 0u;
    }
    memoryBarrierShared();
    barrier();
    if (sLast != 0u) {
        memoryBarrierBuffer();
        finishIteration(lid);
    }
}
