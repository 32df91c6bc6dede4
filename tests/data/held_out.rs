// FNV-1a of a row's id: which third of the published rows is held out of
// a fit (`include!`d inside the speed cases' modules).

fn held_out(id: &str) -> bool {
    let mut h: u64 = 0xcbf29ce484222325;
    for b in id.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x100000001b3);
    }
    h.is_multiple_of(3)
}
