// Status of a device Lloyd batch: spliced after the #version line of Step
// (assign.comp with STEP defined) and of Update (update.comp), which must
// agree on it. It lives in device memory; the host clears the header and
// the slots before a batch and copies them, once the batch is done, into a
// persistently mapped buffer it reads (package gpu decodes this layout:
// keep statusHeader and statusSlot in step with it).

// INERTIA_DIGITS is the number of 32-bit digits of an exact sum of float32
// distances, from 2^-149 (kmeans.Accumulator's).
#define INERTIA_DIGITS 10
#define FOR_DIGITS(M) M(0) M(1) M(2) M(3) M(4) M(5) M(6) M(7) M(8) M(9)

// One iteration of the batch.
struct Slot {
    uint changed;  // labels the assignment changed
    uint empty;    // the update left a cluster empty: no means computed
    uint moved;    // the means pass changed at least one centroid bit
    uint ran;      // the iteration ran (was not halted)
    uint special;  // bit 0: a distance was NaN; bit 1: one was +Inf
    // The exact sum of the assignment's finite distances: an integer
    // number of 2^-149, in 32-bit digits, least significant first.
    uint inertia[INERTIA_DIGITS];
};

layout(std430, binding = 7) coherent buffer Status {
    // Set by the iteration that halted the batch (an empty cluster, or no
    // centroid moved under uStop); that iteration also zeroed the group
    // counts of every later dispatch of the batch (its own means pass
    // included when a cluster emptied).
    uint halted;
    // Work groups of the running iteration's assignment, and of its means
    // pass, that have finished; the last one of each resets its counter.
    uint groupsDone;
    uint meansDone;
    Slot slots[64]; // StatusSlots: the most iterations per readback
    // The loop's scratch words, at offsets the host passes in uniforms:
    // indirect dispatch parameters, counters, partial results.
    uint work[];
};

uniform uint uIter;        // the iteration's slot
uniform uint uStop;        // 1: halt after an iteration that moved no centroid
uniform uint uDispatches;  // dispatches of an iteration, its means pass included
uniform uint uIndirectOff; // work[]: their group counts, 3 words (x, y, z) each
uniform uint uListOff;     // work[]: the dirty clusters' count, then their list

// haltBatch makes every later dispatch of the batch run no work group, and
// says so in the header. The caller is one whole work group.
void haltBatch(uint lid) {
    for (uint i = lid; i < uDispatches; i += 64u) {
        work[uIndirectOff + 3u * i] = 0u;
    }
    if (lid == 0u) {
        halted = 1u;
    }
}
