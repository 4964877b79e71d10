//! One table of kernel entries (desired or actual), compact for remote MACs
//! (issue 16): a remote MAC is 16 octets in the hash table — its VNI and
//! MAC as the key, and a 4-octet word holding the index of its VTEP in a
//! small table of VTEP addresses shared by every entry, plus the sticky
//! flag. A `HashMap<Key, Value>` spent 44 octets per entry (an `IpAddr` in
//! the key's and the value's enum), nearly three times as much; at
//! 1,000,000 MACs, with the hash tables' buckets half empty after a
//! doubling, the two took ~190 MB where these take ~71.
//!
//! Flood entries and neighbours (a few per VTEP and per host) stay in a
//! plain map of [`Key`] and [`Value`].

use std::collections::HashMap;
use std::net::IpAddr;

use evpnd_wire::{MacAddr, Vni};

use super::{Key, Value};

/// The bit of a [`MacWord`] that says sticky; the rest is the VTEP index.
const STICKY: u32 = 1 << 31;

/// A remote MAC's value: its VTEP's index in [`Vteps`], and [`STICKY`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct MacWord(u32);

impl MacWord {
    fn vtep(self) -> u32 {
        self.0 & !STICKY
    }

    fn sticky(self) -> bool {
        self.0 & STICKY != 0
    }
}

/// VTEP addresses by index, each with the number of entries naming it; an
/// index is freed with its last entry (so the table is bounded by the
/// VTEPs in use, not by every VTEP ever seen).
#[derive(Debug, Default)]
struct Vteps {
    /// Address and entries naming it; a count of 0 is a free index.
    slots: Vec<(IpAddr, u32)>,
    by_addr: HashMap<IpAddr, u32>,
    free: Vec<u32>,
}

impl Vteps {
    /// The index of `ip`, counting one more entry naming it.
    fn acquire(&mut self, ip: IpAddr) -> u32 {
        if let Some(&i) = self.by_addr.get(&ip) {
            self.slots[i as usize].1 += 1;
            return i;
        }
        let i = match self.free.pop() {
            Some(i) => {
                self.slots[i as usize] = (ip, 1);
                i
            }
            None => {
                // Fewer VTEPs than entries, and entries fit in memory: the
                // index stays below the sticky bit.
                let i = self.slots.len() as u32;
                debug_assert!(i < STICKY, "VTEP index below the sticky bit");
                self.slots.push((ip, 1));
                i
            }
        };
        self.by_addr.insert(ip, i);
        i
    }

    /// One entry less names index `i`.
    fn release(&mut self, i: u32) {
        let Some(slot) = self.slots.get_mut(i as usize) else {
            return;
        };
        slot.1 = slot.1.saturating_sub(1);
        if slot.1 == 0 {
            self.by_addr.remove(&slot.0);
            self.free.push(i);
        }
    }

    fn addr(&self, i: u32) -> IpAddr {
        self.slots[i as usize].0
    }
}

/// Entries of ours by key, with the subset of a map's interface the
/// reconciler uses. Keys and values are returned by value (both `Copy`).
#[derive(Debug, Default)]
pub struct Table {
    macs: HashMap<(Vni, MacAddr), MacWord>,
    vteps: Vteps,
    /// Flood entries and neighbours (and a remote MAC's key with another
    /// kind of value, which the reconciler never builds).
    other: HashMap<Key, Value>,
    /// Remote MAC keys in `other`: looked up there only when there are.
    odd_macs: usize,
}

impl Table {
    pub fn len(&self) -> usize {
        self.macs.len() + self.other.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn value(&self, w: MacWord) -> Value {
        Value::Mac {
            vtep: self.vteps.addr(w.vtep()),
            sticky: w.sticky(),
        }
    }

    pub fn get(&self, key: &Key) -> Option<Value> {
        match key {
            Key::Mac { vni, mac } => match self.macs.get(&(*vni, *mac)) {
                Some(w) => Some(self.value(*w)),
                None if self.odd_macs > 0 => self.other.get(key).copied(),
                None => None,
            },
            k => self.other.get(k).copied(),
        }
    }

    pub fn contains_key(&self, key: &Key) -> bool {
        match key {
            Key::Mac { vni, mac } => {
                self.macs.contains_key(&(*vni, *mac))
                    || (self.odd_macs > 0 && self.other.contains_key(key))
            }
            k => self.other.contains_key(k),
        }
    }

    /// Sets `key` to `value`; the value it had, if any. A remote MAC's key
    /// takes a remote MAC's value; any other pairing is kept as given.
    pub fn insert(&mut self, key: Key, value: Value) -> Option<Value> {
        match (key, value) {
            (Key::Mac { vni, mac }, Value::Mac { vtep, sticky }) => {
                let i = self.vteps.acquire(vtep);
                let w = MacWord(i | if sticky { STICKY } else { 0 });
                match self.macs.insert((vni, mac), w) {
                    Some(old) => {
                        let v = self.value(old);
                        self.vteps.release(old.vtep());
                        Some(v)
                    }
                    None if self.odd_macs > 0 => {
                        let v = self.other.remove(&key)?;
                        self.odd_macs -= 1;
                        Some(v)
                    }
                    None => None,
                }
            }
            (Key::Mac { vni, mac }, v) => {
                let old = self.macs.remove(&(vni, mac)).map(|w| {
                    let v = self.value(w);
                    self.vteps.release(w.vtep());
                    v
                });
                let odd = self.other.insert(key, v);
                self.odd_macs += usize::from(odd.is_none());
                old.or(odd)
            }
            (k, v) => self.other.insert(k, v),
        }
    }

    pub fn remove(&mut self, key: &Key) -> Option<Value> {
        match key {
            Key::Mac { vni, mac } => match self.macs.remove(&(*vni, *mac)) {
                Some(old) => {
                    let v = self.value(old);
                    self.vteps.release(old.vtep());
                    Some(v)
                }
                None if self.odd_macs > 0 => {
                    let v = self.other.remove(key)?;
                    self.odd_macs -= 1;
                    Some(v)
                }
                None => None,
            },
            k => self.other.remove(k),
        }
    }

    /// Every key, in no particular order.
    pub fn keys(&self) -> impl Iterator<Item = Key> + '_ {
        self.macs
            .keys()
            .map(|&(vni, mac)| Key::Mac { vni, mac })
            .chain(self.other.keys().copied())
    }

    /// Every entry, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = (Key, Value)> + '_ {
        self.macs
            .iter()
            .map(|(&(vni, mac), &w)| (Key::Mac { vni, mac }, self.value(w)))
            .chain(self.other.iter().map(|(k, v)| (*k, *v)))
    }

    /// Keeps the entries whose key `keep` accepts.
    pub fn retain(&mut self, keep: impl Fn(&Key) -> bool) {
        let vteps = &mut self.vteps;
        self.macs.retain(|&(vni, mac), w| {
            let kept = keep(&Key::Mac { vni, mac });
            if !kept {
                vteps.release(w.vtep());
            }
            kept
        });
        let mut odd_gone = 0;
        self.other.retain(|k, _| {
            let kept = keep(k);
            odd_gone += usize::from(!kept && matches!(k, Key::Mac { .. }));
            kept
        });
        self.odd_macs -= odd_gone;
    }

    /// The entries as a plain map (tests).
    pub fn to_map(&self) -> HashMap<Key, Value> {
        self.iter().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    fn mac(i: u8) -> Key {
        Key::Mac {
            vni: Vni::new(100).expect("vni"),
            mac: MacAddr([2, 0, 0, 0, 0, i]),
        }
    }

    fn at(last: u8, sticky: bool) -> Value {
        Value::Mac {
            vtep: IpAddr::V4(Ipv4Addr::new(10, 0, 0, last)),
            sticky,
        }
    }

    #[test]
    fn remote_macs_round_trip_and_vteps_are_freed_with_their_last_entry() {
        let mut t = Table::default();
        assert_eq!(t.insert(mac(1), at(2, false)), None);
        assert_eq!(t.insert(mac(2), at(2, true)), None);
        assert_eq!(t.get(&mac(2)), Some(at(2, true)));
        assert_eq!(t.vteps.by_addr.len(), 1, "one VTEP shared");
        // A move: the old value comes back, the new VTEP is interned.
        assert_eq!(t.insert(mac(1), at(3, false)), Some(at(2, false)));
        assert_eq!(t.vteps.by_addr.len(), 2);
        assert_eq!(t.remove(&mac(2)), Some(at(2, true)));
        assert_eq!(t.vteps.by_addr.len(), 1, "10.0.0.2 named by nothing");
        // Its index is reused.
        t.insert(mac(4), at(4, false));
        assert_eq!(t.vteps.slots.len(), 2);
        let flood = Key::Flood {
            vni: Vni::new(100).expect("vni"),
            vtep: IpAddr::V4(Ipv4Addr::new(10, 0, 0, 9)),
        };
        t.insert(flood, Value::Flood);
        assert_eq!(t.len(), 3);
        t.retain(|k| !matches!(k, Key::Mac { mac, .. } if mac.0[5] == 1));
        assert_eq!(t.len(), 2);
        assert_eq!(t.vteps.by_addr.len(), 1, "10.0.0.3 freed by retain");
        let m = t.to_map();
        assert_eq!(m.get(&mac(4)), Some(&at(4, false)));
        assert_eq!(m.get(&flood), Some(&Value::Flood));
        assert_eq!(t.keys().count(), 2);
    }

    #[test]
    fn a_remote_mac_costs_sixteen_octets_in_the_hash_table() {
        assert_eq!(std::mem::size_of::<((Vni, MacAddr), MacWord)>(), 16);
    }
}
