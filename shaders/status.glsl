// Status of a device Lloyd batch: spliced after the #version line of Step
// (assign.comp with STEP defined) and of Update (update.comp), which must
// agree on it. The host zeroes the header and the slots before a batch and
// reads them back once after it (package gpu decodes this layout: keep
// StatusSlots, the 24-byte Slot and the 8-byte header in step with it).

// One iteration of the batch.
struct Slot {
    uint changed;   // labels the assignment changed
    uint empty;     // the update left a cluster empty: no means computed
    uint moved;     // the means pass changed at least one centroid bit
    uint ran;       // the iteration ran (was not halted)
    double inertia; // sum of the assignment's distances, in double
};

layout(std430, binding = 7) buffer Status {
    // Set by the check pass of an iteration that left a cluster empty;
    // every later pass of the batch then does nothing.
    uint halted;
    uint statusPad;
    Slot slots[64]; // StatusSlots: the most iterations per readback
    // One per work group of the assignment pass: the group's distance sum.
    double partials[];
};

uniform uint uIter; // the iteration's slot
uniform uint uStop; // 1: halt after an iteration that moved no centroid

// stopped says whether this iteration of the batch must do nothing: an
// earlier one left a cluster empty, or (uStop) the previous one changed no
// centroid, so this one would repeat it. A skipped iteration leaves its
// slot's moved at 0, so the condition carries on through the batch.
bool stopped() {
    return halted != 0u || (uStop != 0u && uIter > 0u && slots[uIter - 1u].moved == 0u);
}
