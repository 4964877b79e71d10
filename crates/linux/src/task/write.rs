//! The linux task's writes: the FDB/neighbour reconcile loop in batches, and
//! the status it publishes.

use super::*;

impl Task {
    /// Writes what is due: FDB and neighbours, then tenant routes.
    pub(super) async fn reconcile(&mut self) {
        self.reconcile_fdb().await;
        self.reconcile_l3();
        for dev in self.l3.take_missing() {
            self.warn(format!(
                "underlay routes wait for device {dev}, absent or down: installed once it is up"
            ))
            .await;
        }
    }

    /// Writes what is due in batches (`crate::batch`), each ACK checked.
    pub(super) async fn reconcile_fdb(&mut self) {
        loop {
            let ops = self.rec.next_ops(self.now_ms(), 4096);
            if ops.is_empty() {
                return;
            }
            let mut writable = Vec::with_capacity(ops.len());
            let mut requests = Vec::with_capacity(ops.len());
            let mut unwritable = Vec::new();
            for op in ops {
                match self
                    .layout
                    .vnis
                    .get(&op.key().vni())
                    .and_then(|v| program::messages(&op, v))
                {
                    Some(messages) => {
                        requests.push(Request {
                            messages: messages.into_iter().map(Into::into).collect(),
                            delete: matches!(op, Op::Del(..)),
                        });
                        writable.push(op);
                    }
                    None => unwritable.push(op),
                }
            }
            // Recorded before they exist, so a crash cannot leave one unrecorded.
            let new_flood = writable.iter().filter_map(|op| match op {
                Op::Set(Key::Flood { vni, vtep }, _) => Some((*vni, *vtep)),
                _ => None,
            });
            if let Err(e) = self.flood.record(new_flood) {
                self.warn(e).await;
            }
            let results = self.batch.run(&requests);
            let now = self.now_ms();
            let mut flood_gone = Vec::new();
            let outcomes = writable
                .into_iter()
                .zip(results.into_iter().map(|r| r.err().map(|e| e.to_string())))
                .chain(unwritable.into_iter().map(|op| {
                    (
                        op,
                        Some("the VNI has no bridge/SVI for this entry".to_string()),
                    )
                }));
            let mut overridden = Vec::new();
            for (op, err) in outcomes {
                if let (None, Op::Del(Key::Flood { vni, vtep }, _)) = (&err, op) {
                    flood_gone.push((vni, vtep));
                }
                // The bridge entry of a MAC we wrote now points at the VXLAN
                // port: not local any more (the kernel's echo saying so is
                // filtered, `crate::sockopt`).
                if let (None, Op::Set(Key::Mac { vni, mac }, _)) = (&err, op)
                    && self.local_macs.remove(&(vni, mac)).is_some()
                {
                    overridden.push((vni, mac));
                }
                match &err {
                    None => self.writes_ok += 1,
                    Some(e) => {
                        self.writes_failed += 1;
                        warn!(op = ?op, "kernel write failed: {e}");
                    }
                }
                self.rec.result(op, err, now);
            }
            if let Err(e) = self.flood.forget(flood_gone) {
                self.warn(e).await;
            }
            for (vni, mac) in overridden {
                if let Some(s) = &mut self.local_scan {
                    s.macs.touch((vni, mac));
                }
                self.emit(LocalEvent::MacGone { vni, mac }).await;
            }
        }
    }

    pub(super) fn publish(&self) {
        let mut st = DataplaneStatus {
            writes_ok: self.writes_ok,
            writes_failed: self.writes_failed,
            converged: self.rec.converged(),
            ..DataplaneStatus::default()
        };
        for vni in self.layout.vnis.keys() {
            st.vnis.insert(*vni, VniStatus::default());
        }
        // Counted as the tables change: a million entries are not walked.
        for (vni, c) in self.rec.counts() {
            if c.is_empty() && !self.layout.vnis.contains_key(vni) {
                continue;
            }
            let s = st.vnis.entry(*vni).or_default();
            s.desired_macs = c.desired[0] as usize;
            s.desired_flood = c.desired[1] as usize;
            s.desired_neigh = c.desired[2] as usize;
            s.programmed_macs = c.actual[0] as usize;
            s.programmed_flood = c.actual[1] as usize;
            s.programmed_neigh = c.actual[2] as usize;
        }
        let (rd, rp, ld, lp, nh) = self.l3.counts();
        (st.routes_desired, st.routes_programmed) = (rd, rp);
        (st.rules_desired, st.rules_programmed, st.nexthops) = (ld, lp, nh);
        st.route_errors = self
            .l3
            .errors()
            .take(10)
            .map(|(k, e)| format!("{k}: {e}"))
            .collect();
        for (k, e) in self.rec.errors() {
            let s = st.vnis.entry(k.vni()).or_default();
            if s.errors.len() < 10 {
                s.errors.push(format!("{k:?}: {e}"));
            }
        }
        self.status.send_replace(st);
    }
}
