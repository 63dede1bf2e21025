// Float atomic add for WGSL, which has no float atomics: a compare-and-swap loop on the u32 bit
// pattern of an f32. Exact (each add is one IEEE f32 add), order-dependent like any float atomic.
// Callers pre-reduce where many invocations hit the same address, since every retry costs a round trip.
fn atomic_add_f32(p: ptr<storage, atomic<u32>, read_write>, v: f32) {
  if (v == 0.0) { return; }
  var old = atomicLoad(p);
  loop {
    let next = bitcast<u32>(bitcast<f32>(old) + v);
    let r = atomicCompareExchangeWeak(p, old, next);
    if (r.exchanged) { break; }
    old = r.old_value;
  }
}
